"""Read models of the billing service, each rebuildable with `oms replay billing NAME`."""
