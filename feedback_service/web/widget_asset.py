"""``/widget.js``: the committed build of the widget, gzipped once per process.

The source is ``widgets/src/`` (readable modules); ``make widget`` bundles and mangles it
with esbuild into ``widgets/dist/widget.min.js``, committed so that serving it needs no
Node.
"""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, request

bp = Blueprint("widget_asset", __name__)

WIDGET_DIR = Path(__file__).resolve().parents[2] / "widgets"
WIDGET_BUILD = WIDGET_DIR / "dist" / "widget.min.js"


@lru_cache(maxsize=4)
def _bundle(mtime: float) -> tuple[bytes, bytes, str]:
    minified = WIDGET_BUILD.read_bytes()
    return minified, gzip.compress(minified, compresslevel=9, mtime=0), hashlib.sha256(minified).hexdigest()[:20]


def widget_bundle() -> tuple[bytes, bytes, str]:
    """(minified, gzipped, etag) of the current build; a rebuild is picked up without a restart."""
    return _bundle(WIDGET_BUILD.stat().st_mtime)


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
