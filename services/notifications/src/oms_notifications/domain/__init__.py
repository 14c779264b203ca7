"""Aggregates and value objects of the notifications service: plain Python, no I/O."""
