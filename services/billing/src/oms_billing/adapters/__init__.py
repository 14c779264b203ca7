"""Implementations of the billing application's ports (wired in bootstrap)."""
