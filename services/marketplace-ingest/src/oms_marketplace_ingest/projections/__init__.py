"""Read models of the marketplace-ingest service."""
