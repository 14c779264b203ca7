"""The only place in the billing service that speaks the public contracts."""
