"""The commissions worker process: outbox relay, exactly-once consumer, projections."""

from oms_kit.runtime import run_worker

from oms_commissions.bootstrap import bootstrap

if __name__ == "__main__":
    run_worker(bootstrap)
