"""Aggregates and value objects of the marketplace-ingest service: plain Python, no I/O."""
