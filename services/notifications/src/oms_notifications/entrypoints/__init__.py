"""Process entry points: `python -m <package>.entrypoints.api` or `.worker`."""
