"""HTTP plumbing shared by the adapters: the API's error contract (``smorest``), rate limits, CORS.

May import: the rest of core, models, extensions, config.
"""
