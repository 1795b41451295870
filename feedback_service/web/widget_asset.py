"""``/widget.js``: the widget, minified once per process and sent gzipped.

The source in ``widgets/widget.js`` stays readable and commented; rjsmin strips
it at serve time, so no build step and no generated file live in the repo.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

import rjsmin
from flask import Blueprint, Response, request

bp = Blueprint("widget_asset", __name__)

WIDGET_SOURCE = Path(__file__).resolve().parents[2] / "widgets" / "widget.js"


@lru_cache(maxsize=4)
def _bundle(mtime: float) -> tuple[bytes, bytes, str]:
    minified = rjsmin.jsmin(WIDGET_SOURCE.read_text(encoding="utf-8")).encode()
    return minified, gzip.compress(minified, compresslevel=9, mtime=0), hashlib.sha256(minified).hexdigest()[:20]


def widget_bundle() -> tuple[bytes, bytes, str]:
    """(minified, gzipped, etag) of the current widget source."""
    return _bundle(WIDGET_SOURCE.stat().st_mtime)


@bp.get("/widget.js")
def widget_js():
    minified, gzipped, etag = widget_bundle()
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = Response(gzipped, mimetype="application/javascript")
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(minified, mimetype="application/javascript")
    response.set_etag(etag)
    response.vary.add("Accept-Encoding")
    # Short enough that a fix reaches every host page within minutes.
    response.cache_control.public = True
    response.cache_control.max_age = 300
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
