"""HTTP routes of the billing service."""
