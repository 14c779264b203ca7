"""The inventory service.

It owns warehouses, lots, stock levels, reservations, pick lists, goods issues."""
