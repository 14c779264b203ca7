"""The billing service.

It owns invoices, stamping, receivables, payments, credit exposure, journal entries."""
