"""OMS reliability suite: Jepsen-style scenarios that break the running system on purpose
(processes killed, broker lost, PostgreSQL gone, races, poison messages, bad input) and
check that no order, reservation, invoice or payment was lost or doubled.

Run it with ``make reliability`` (``python -m reliability --help``)."""
