"""The commissions service.

It owns commission rates and rules, the commission ledger per rep and customer, settlements."""
