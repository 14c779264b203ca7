"""The one partitioner every OMS producer uses (relay batches, ``send``, redrive)."""

from __future__ import annotations

import zlib
from uuid import uuid4

from oms_kit.kafka import partition_for


def test_a_key_always_lands_in_one_partition_and_keys_spread_over_all() -> None:
    keys = [str(uuid4()).encode() for _ in range(300)]
    chosen = [partition_for(key, [0, 1, 2]) for key in keys]
    # The same answer however the partitions are listed (metadata order varies).
    assert [partition_for(key, [2, 0, 1], [1]) for key in keys] == chosen
    assert set(chosen) == {0, 1, 2}
    # librdkafka's "consistent" partitioner: clients of other languages can agree with it.
    assert all(p == zlib.crc32(key) % 3 for key, p in zip(keys, chosen, strict=True))


def test_a_message_without_a_key_goes_to_the_first_partition() -> None:
    assert partition_for(None, [4, 3, 5]) == 3
