"""Repeated failures slow signing in down: per username (or client) and per address, the
same for a username that does not exist, lifted as the failures leave the window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from oms_orders.identity.throttle import Limits, MemoryFailureLog, SignInThrottle, TooManyFailures

from .conftest import Clock

LIMITS = Limits(per_subject=5, per_address=8, window=timedelta(minutes=15))


@pytest.fixture
def throttle(clock: Clock) -> SignInThrottle:
    return SignInThrottle(MemoryFailureLog(), LIMITS, clock)


def fail(throttle: SignInThrottle, times: int, subject: str, address: str) -> None:
    for _ in range(times):
        throttle.check(subject, address)
        throttle.failed(subject, address)


def test_five_failures_of_one_username_stop_it_for_the_rest_of_the_window(
    throttle: SignInThrottle, clock: Clock
) -> None:
    fail(throttle, 4, "user:ana", "10.0.0.1")
    clock.advance(minutes=5)
    fail(throttle, 1, "user:ana", "10.0.0.2")
    with pytest.raises(TooManyFailures) as slowed:
        throttle.check("user:ana", "10.0.0.3")  # from anywhere
    assert slowed.value.retry_after_s == 10 * 60  # until the first failure leaves the window
    throttle.check("user:bob", "10.0.0.3")  # others are not slowed
    clock.advance(minutes=10, seconds=1)
    throttle.check("user:ana", "10.0.0.3")  # one failure left the window: four remain


def test_failures_from_one_address_stop_it_for_every_username(
    throttle: SignInThrottle, clock: Clock
) -> None:
    for n in range(8):
        fail(throttle, 1, f"user:nobody-{n}", "10.0.0.9")  # names that need not exist
    with pytest.raises(TooManyFailures) as slowed:
        throttle.check("user:ana", "10.0.0.9")
    assert slowed.value.retry_after_s == 15 * 60
    throttle.check("user:ana", "10.0.0.1")  # from another address


def test_signing_in_forgets_the_usernames_failures_not_the_addresses(
    throttle: SignInThrottle, clock: Clock
) -> None:
    fail(throttle, 4, "user:ana", "10.0.0.1")
    throttle.succeeded("user:ana")
    fail(throttle, 4, "user:ana", "10.0.0.1")
    throttle.check("user:ana", "10.0.0.2")
    with pytest.raises(TooManyFailures):
        throttle.check("user:bob", "10.0.0.1")  # the address has its 8
