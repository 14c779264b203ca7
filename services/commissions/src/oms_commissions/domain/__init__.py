"""Pure domain of the commissions service: stdlib, eventsourcing.domain, oms_kit.domain."""
