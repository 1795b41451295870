"""The worker: RQ on the app's queues, and the clock of the periodic jobs.

An adapter, like the API: it runs the features' jobs and imports their ``jobs``
modules; nothing below imports it.

May import: features, core, models, extensions, config.
"""
