"""HTTP routes of the marketplace-ingest service."""
