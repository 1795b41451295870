"""``/widget.js``: the committed build of the widget, gzipped once per process.

The source is ``widgets/src/`` (readable modules); ``make widget`` bundles and mangles it
with esbuild into ``widgets/dist/widget.min.js``, committed so that serving it needs no
Node. ``widgets/dist/build.sha256`` lists the sha256 of every file that build read and of
what it wrote: ``stale_build()`` compares them, for the test and the size bench.
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
BUILD_MANIFEST = WIDGET_DIR / "dist" / "build.sha256"


@lru_cache(maxsize=4)
def _bundle(mtime: float) -> tuple[bytes, bytes, str]:
    minified = WIDGET_BUILD.read_bytes()
    return minified, gzip.compress(minified, compresslevel=9, mtime=0), hashlib.sha256(minified).hexdigest()[:20]


def widget_bundle() -> tuple[bytes, bytes, str]:
    """(minified, gzipped, etag) of the current build; a rebuild is picked up without a restart."""
    return _bundle(WIDGET_BUILD.stat().st_mtime)


def stale_build() -> list[str]:
    """Why ``widgets/dist`` does not match ``widgets/src`` (empty when it does): run ``make widget``."""
    if not BUILD_MANIFEST.exists():
        return [f"{BUILD_MANIFEST.relative_to(WIDGET_DIR)} is missing"]
    lines = BUILD_MANIFEST.read_text(encoding="utf-8").splitlines()
    recorded = {name: digest for digest, _, name in (line.partition("  ") for line in lines)}
    problems = []
    expected = {f"src/{p.name}" for p in (WIDGET_DIR / "src").glob("*.js")} | {"dist/widget.min.js"}
    for name in sorted(set(recorded) | expected):
        path = WIDGET_DIR / name
        if name not in recorded:
            problems.append(f"{name} is not in the build")
        elif not path.is_file():
            problems.append(f"{name} is gone since the build")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != recorded[name]:
            problems.append(f"{name} changed since the build")
    return problems


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
