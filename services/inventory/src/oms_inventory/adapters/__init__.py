"""Inventory's adapters: the courier companies and the waybill document."""
