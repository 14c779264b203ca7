"""The marketplace-ingest service.

It owns marketplace connections, import runs, the partner push API, the stock sync back to
the marketplaces and the shipment confirmations."""
