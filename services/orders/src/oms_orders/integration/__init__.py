"""The only place in the orders service that speaks the public contracts."""
