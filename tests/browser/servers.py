"""The servers the browser tests talk to: the live app, and the host pages that embed the widget.

Each runs werkzeug's threaded server on 127.0.0.1 and a free port, in a daemon thread;
a different port is a different origin, which is all the tests need.
"""

from __future__ import annotations

import html
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

# ---- servers ---------------------------------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # no access log; errors are still logged
        pass


class _Tracking:
    """WSGI wrapper that counts requests in flight, so a test can wait for the server to be idle
    before the database is cleaned (a request the browser left running must not write afterwards)."""

    def __init__(self, app):
        self.app = app
        self.active = 0
        self.idle = threading.Condition()

    def __call__(self, environ, start_response):
        with self.idle:
            self.active += 1
        try:
            result = self.app(environ, start_response)
            try:
                return list(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            with self.idle:
                self.active -= 1
                self.idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        with self.idle:
            return self.idle.wait_for(lambda: self.active == 0, timeout)


@dataclass
class Server:
    origin: str
    wsgi: _Tracking
    server: object
    thread: threading.Thread

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def serve(wsgi_app, name: str) -> Server:
    tracking = _Tracking(wsgi_app)
    server = make_server("127.0.0.1", 0, tracking, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return Server(f"http://127.0.0.1:{server.server_port}", tracking, server, thread)


# ---- host pages ------------------------------------------------------------------------------

# From the stub run in /tmp/widget_stub.py, plus the one-liner: everything a careless
# or hostile page can say about elements the widget also uses.
HOSTILE_CSS = """
* { all: unset !important; font-size: 40px !important; font-family: "Comic Sans MS", fantasy !important;
    color: #f0f !important; line-height: 3 !important; letter-spacing: 4px !important }
html, body { display: block !important; background: #333 !important }
p, div, h1 { display: block !important }
button { display: none !important }
div, span, p { visibility: visible; transform: rotate(1deg) }
textarea, label, [role=dialog], [role=group] { display: none !important }
:not(:defined) { display: none !important }
feedback-widget { display: none !important; opacity: 0 !important; position: absolute !important;
                  left: -9999px !important }
"""

PLAIN_CSS = """body { font: 16px/1.5 Georgia, serif; margin: 40px; color: #222; background: #f7f5f2 }
h1 { font-size: 28px } p { max-width: 640px }"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style nonce="{nonce}">{css}</style>
</head><body>
<h1>{title}</h1>
<p id="intro">Host page of a shop. Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>
<p><input id="host-input" aria-label="Search the shop" placeholder="Search the shop"></p>
<p><button id="order" type="button">Place order</button></p>
<script src="/host.js"></script>
<script src="{api}/widget.js" data-touchpoint="{pk}"{extra} async></script>
</body></html>"""

# The host page's own script (an external file: the strict CSP allows no inline script).
HOST_JS = """document.getElementById('order').addEventListener('click', function () {
  window.hostShowResult = 'pending';
  window.FeedbackWidget.show({context: {order_id: 'A-1001'}})
    .then(function (shown) { window.hostShowResult = shown; });
});
"""


@dataclass
class HostPages:
    """Pages embedding the widget, on ``origin`` (listed by the touchpoints the tests make)
    and on ``foreign_origin`` (listed by none): ``/plain``, and ``/hostile`` with hostile CSS
    and a strict Content-Security-Policy header. Query: ``pk``, and ``cid``, ``email``,
    ``trigger``, ``style_nonce``, ``script_nonce`` for the script's data-customer-id,
    data-customer-email, data-trigger, data-style-nonce and nonce."""

    api: str
    origin: str = ""
    foreign_origin: str = ""
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(12))

    def url(self, page: str = "plain", *, pk: str, foreign: bool = False, **params) -> str:
        query = urlencode({"pk": pk, **{k: v for k, v in params.items() if v is not None}})
        return f"{self.foreign_origin if foreign else self.origin}/{page}?{query}"

    def csp(self) -> str:
        return (f"default-src 'none'; script-src 'self' {self.api}; connect-src {self.api}; "
                f"style-src 'nonce-{self.nonce}'; img-src 'self'; "
                "require-trusted-types-for 'script'; base-uri 'none'; form-action 'none'")

    @Request.application
    def __call__(self, request: Request) -> Response:
        if request.path == "/favicon.ico":
            return Response(b"", 204)
        if request.path == "/host.js":
            return Response(HOST_JS, mimetype="text/javascript")
        if request.path not in ("/plain", "/hostile"):
            return Response("not found", 404)
        hostile = request.path == "/hostile"
        extra = "".join(f' {attr}="{html.escape(request.args[key])}"'
                        for attr, key in (("data-customer-id", "cid"), ("data-customer-email", "email"),
                                          ("data-trigger", "trigger"), ("data-style-nonce", "style_nonce"),
                                          ("nonce", "script_nonce")) if key in request.args)
        title = "Hostile host page" if hostile else "Plain host page"
        body = PAGE.format(title=title, nonce=self.nonce, css=PLAIN_CSS + (HOSTILE_CSS if hostile else ""),
                           api=self.api, pk=html.escape(request.args.get("pk", "")), extra=extra)
        response = Response(body, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        if hostile:
            response.headers["Content-Security-Policy"] = self.csp()
        return response
