"""The WSGI app: ``gunicorn wsgi:app`` (and ``flask --app wsgi …``)."""

import gc
import sys

from feedback_service import create_app
from feedback_service.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # A setting to fix, not a bug: the message says which and how, a traceback would bury it.
    sys.exit(f"feedback_service: {error}")

# What is loaded by now (the app, SQLAlchemy's and marshmallow's machinery) lives as long as
# the worker: frozen, the collector's full passes leave it alone instead of walking it while
# requests wait.
gc.freeze()
