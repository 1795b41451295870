"""Deprecated: the dotted names under which jobs were queued before the feature packages.

A job already waiting in Redis when this release is deployed names its function
by module path (``feedback_service.tasks.sentiment.score_responses``), so these
modules keep those names importable, each handing on to the job's new home.
Nothing enqueues these names any more; they go in the next release.

May import: the features' ``jobs`` modules, the worker's schedule.
"""
