"""The notifications worker process: outbox relay, exactly-once consumer, projections, and
the sender (sending/), which e-mails what is due."""

from oms_kit.runtime import run_worker

from oms_notifications.bootstrap import bootstrap

if __name__ == "__main__":
    run_worker(bootstrap)
