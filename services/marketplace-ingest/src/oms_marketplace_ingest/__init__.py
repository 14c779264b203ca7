"""The marketplace-ingest service.

It owns marketplace connections, import runs, partner push API, stock sync."""
