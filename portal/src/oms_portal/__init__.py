"""The OMS portal: server-rendered web pages for customers (and later partners and sales
reps) that call the services' public routes with the signed-in person's token. It owns no
business data and reads no service database (DESIGN section 14)."""
