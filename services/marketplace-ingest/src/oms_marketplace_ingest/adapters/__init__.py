"""Clients of the outside world: the Selling Partner API and Login with Amazon."""
