"""The only place in the marketplace-ingest service that speaks the public contracts."""
