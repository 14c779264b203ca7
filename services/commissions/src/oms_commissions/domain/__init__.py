"""Aggregates and value objects of the commissions service: plain Python, no I/O."""
