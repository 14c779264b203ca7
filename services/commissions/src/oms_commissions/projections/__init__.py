"""Read models of the commissions service, each rebuildable with `oms replay commissions NAME`."""
