"""Aggregates and value objects of the orders service: plain Python, no I/O."""
