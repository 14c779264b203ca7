"""The HTTP API of the marketplace-ingest service."""
