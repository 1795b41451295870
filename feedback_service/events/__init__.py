"""The event log: everything that happened, in an order consumers can rely on.

An event is written in the transaction of the change that causes it, with the
payload built by ``payloads`` (the one place that says what an event carries).
The log knows nobody who listens: ``log.events_recorded`` is a signal (blinker,
which Flask ships), and whoever needs to hear (the webhooks' fan-out) subscribes.

May import: core, models, extensions.
"""
