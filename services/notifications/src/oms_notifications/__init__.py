"""The notifications service. It owns templates, per-document settings, the sent-mail log."""
