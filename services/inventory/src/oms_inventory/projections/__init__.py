"""Read models of the inventory service, each rebuildable with `oms replay inventory NAME`."""
