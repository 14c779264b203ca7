"""The orders service.

It owns customers, sales reps, catalogue and prices, quotes, sales orders, attachments."""
