"""Pure domain of the notifications service: stdlib, eventsourcing.domain, oms_kit.domain."""
