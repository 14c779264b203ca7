"""Shared fixtures for every test folder: the real dev stack (see oms_dev.testing)."""

pytest_plugins = ["oms_dev.testing"]
