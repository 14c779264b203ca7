"""Read models of the notifications service, each rebuildable with
`oms replay notifications NAME`."""
