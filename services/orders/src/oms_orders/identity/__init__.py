"""Signing in, behind the Application's identity use cases: password hashing (Argon2),
the token signing keys kept in the orders database, the tokens themselves, and the
slowing down of repeated failures. Each store has a PostgreSQL adapter and an in-memory one
for the use-case tests, chosen like the event store (``Settings.event_store``)."""
