"""Aggregates and value objects of the inventory service: plain Python, no I/O."""
