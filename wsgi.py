"""The WSGI app: ``gunicorn wsgi:app`` (and ``flask --app wsgi …``)."""

import gc

from feedback_service import create_app

app = create_app()

# What is loaded by now (the app, SQLAlchemy's and marshmallow's machinery) lives as long as
# the worker. A full collection walked all of it, about 100 ms during which every request in
# flight waited; frozen, the collector leaves it alone.
gc.freeze()
