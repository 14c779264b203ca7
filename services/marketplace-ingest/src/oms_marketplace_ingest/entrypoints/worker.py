"""The marketplace-ingest worker process: outbox relay, exactly-once consumer, projections,
the importer (scheduled and requested import runs)."""

from oms_kit.runtime import run_worker

from oms_marketplace_ingest.bootstrap import bootstrap

if __name__ == "__main__":
    run_worker(bootstrap)
