"""Shared fixtures for every test folder: the real dev stack (see oms_kit.testing)."""

pytest_plugins = ["oms_kit.testing"]
