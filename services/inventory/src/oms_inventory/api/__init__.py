"""HTTP routes of the inventory service."""
