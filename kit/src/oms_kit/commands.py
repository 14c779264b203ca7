"""Commands that change aggregates other processes change too.

An HTTP command and a consumed event may change the same aggregate at the same moment
(e.g. a cancel while the reservation arrives). Optimistic concurrency refuses the second
save; the command is then simply run again on the fresh state, which re-checks every
rule. Only when it keeps conflicting does the caller get the conflict (HTTP 409).
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from eventsourcing.persistence import RecordConflictError

P = ParamSpec("P")
R = TypeVar("R")

ATTEMPTS = 8
#: Pause before the second attempt; doubled each time, with jitter, so that commands that
#: collided do not load the same version again at the same moment.
FIRST_PAUSE_S = 0.005


def retry_on_conflict(command: Callable[P, R]) -> Callable[P, R]:
    """Run ``command`` again when its save conflicts, after a short randomised pause that
    doubles each time (5 ms, 10 ms ... about 0.6 s in all); the command must load what it
    changes and have no effect before its save (true of every Application command here)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return command(*args, **kwargs)
            except RecordConflictError:
                if attempt == ATTEMPTS:
                    raise
                pause = FIRST_PAUSE_S * 2 ** (attempt - 1)
                time.sleep(random.uniform(0.5 * pause, 1.5 * pause))  # noqa: S311 - jitter
        raise AssertionError("unreachable")

    return run
