"""Closing the loop: every comment becomes a follow-up with an owner, a status, a due date,
an activity log and a reply to the customer.

``opening`` opens follow-ups (and ``routing`` picks their owners, ``priority``
their urgency and due date); ``workflow`` is what staff do to them; ``activity``
writes the log and the events; ``notices`` the staff emails; ``sla`` the watch
for late ones; ``digests`` the daily email; ``queries``, ``inbox`` and
``metrics`` read them; ``jobs`` are the worker's wrappers.

May import: customers, mail, events, journeys, core, models, extensions, config.
"""
