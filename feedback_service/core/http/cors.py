"""CORS for the public widget routes, per touchpoint.

Each touchpoint lists the bare origins allowed to embed it, so the grant
depends on the ``pk`` in the path. Flask-CORS configures origins per route
pattern, not per row, hence these few lines. Credentials are never allowed:
the widget sends no cookies and needs none.
"""

from __future__ import annotations

from flask import Response, request

ALLOWED_METHODS = "GET, POST, PATCH, OPTIONS"
ALLOWED_HEADERS = "Content-Type, Idempotency-Key, Authorization"
EXPOSED_HEADERS = "Idempotent-Replayed, Retry-After"


def request_origin() -> str | None:
    origin = request.headers.get("Origin")
    return origin.rstrip("/").lower() if origin and origin != "null" else origin


def _own_origin() -> str:
    # As a browser writes it in Origin: ASCII (an IDN host in punycode), no path. (``host_url``
    # would turn the host into an IRI, which no browser sends.)
    return f"{request.scheme}://{request.host}".lower()


def origin_allowed(touchpoint) -> bool:
    """True when no browser origin is involved, the touchpoint lists it, or it is our own."""
    origin = request_origin()
    if origin is None:
        return True  # not a cross-origin browser request: a server, an app, curl
    return origin in (touchpoint.allowed_origins or ()) or origin == _own_origin()


def add_cors_headers(response: Response, allowed: bool) -> Response:
    """Grant the request's origin, when ``allowed`` (``origin_allowed`` said so), and no other."""
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if not allowed or origin is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response
