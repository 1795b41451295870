"""Webhooks: signed messages (Standard Webhooks) to the URLs an organisation chose.

``endpoints`` is what admins manage; ``fanout`` hears every event the log
records and writes the deliveries it owes in the same transaction;
``delivery`` sends one (claim, POST over ``transport`` to the address ``ssrf``
checked, record) and decides what follows; ``jobs`` are the worker's wrappers.

May import: events, mail, core, models, extensions.
"""
