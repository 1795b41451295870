"""Accounts: organisations (the tenants), their staff and teams, API keys, and roles.

May import: core, models, extensions.
"""
