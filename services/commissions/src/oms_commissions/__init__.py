"""The commissions service. It owns commission rules and the ledger per sales rep and client."""
