"""The only place in the inventory service that speaks the public contracts."""
