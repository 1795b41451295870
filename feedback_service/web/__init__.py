"""Server-rendered pages: the widget script, the hosted survey, the demo shop.

May import: demo, features, core, models, extensions, config.
"""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from . import audit_walk, demo, hosted, widget_asset

    app.register_blueprint(widget_asset.bp)
    app.register_blueprint(hosted.bp)
    app.register_blueprint(audit_walk.bp)
    app.register_blueprint(demo.bp)
