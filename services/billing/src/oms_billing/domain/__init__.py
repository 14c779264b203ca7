"""Aggregates and value objects of the billing service: plain Python, no I/O."""
