"""The platform every feature stands on: the database and its commit point, tenancy, jobs,
errors, pagination, keys and passwords, URLs, and the HTTP plumbing (``core.http``).

May import: models, extensions, config. Knows no feature.
"""
