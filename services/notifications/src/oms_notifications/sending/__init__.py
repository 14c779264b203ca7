"""Sending (the worker's part): the sender loop claims what is due and sends it through a
``Mailer`` (SMTP), with the documents a ``DocumentSource`` fetches from the services that
own them."""
