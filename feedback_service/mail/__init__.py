"""Mail: every email the service owes someone, kept in the database until it is delivered.

``outbox`` queues an email in the caller's transaction (and lists them for the
console); ``smtp`` delivers one, with retries; ``jobs`` are the worker's wrappers.
With no ``SMTP_URL`` an email stays in the outbox, visibly unsent.

May import: core, models, extensions.
"""
