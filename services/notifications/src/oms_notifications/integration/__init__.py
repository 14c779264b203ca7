"""The only place in the notifications service that speaks the public contracts."""
