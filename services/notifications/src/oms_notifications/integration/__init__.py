"""Where the service meets other services: contract events in and out."""
