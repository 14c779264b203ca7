"""HTTP routes of the commissions service."""
