"""The only place in the commissions service that speaks the public contracts."""
