"""A real webhook receiver on loopback, and the fixtures the webhook tests share.

The receiver is a threaded ``http.server``: it records every request (headers
and raw body) and answers from a script (status, headers, body, delay), then
200 once the script runs out. Tests verify what it received with the
independent ``standardwebhooks`` library, as a consumer would.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from feedback_service import create_app
from feedback_service.extensions import db
from feedback_service.models import WebhookDelivery, WebhookEndpoint, utcnow


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    def verify(self, secret: str) -> dict:
        """The payload, if the signature verifies with ``secret`` (raises otherwise)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0


class Receiver:
    def __init__(self, port: int = 0):
        self.requests: list[Received] = []
        self.script: list[Answer] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's hook name
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with receiver._lock:
                    receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body, time.time()))
                    answer = receiver.script.pop(0) if receiver.script else Answer()
                if answer.delay:
                    time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                try:
                    self.wfile.write(answer.body)
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            # The default listen backlog of 5 drops connections when a drain sends 16 at once;
            # a refused SYN is retried after a second, past the tests' short send timeout.
            request_queue_size = 128

        self.server = Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.port = self.server.server_address[1]
        self._thread: threading.Thread | None = None

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Receiver:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self.script.extend(answers)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.requests)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_app_config(app_config: dict, **overrides) -> dict:
    """The test app's config, with loopback allowed and a short schedule and timeout."""
    return {**app_config, "RATELIMIT_STORAGE_URI": "memory://", "WEBHOOK_ALLOW_PRIVATE_URLS": True,
            "WEBHOOK_RETRY_SCHEDULE": "0.05,0.05,0.05", "WEBHOOK_TIMEOUT_SECONDS": 0.5, **overrides}


@pytest.fixture(scope="session")
def webhook_app(app_config):
    app = create_app(webhook_app_config(app_config))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def receiver():
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def subscribe(client, tenant, url: str, events: list[str] | None = None, **extra) -> dict:
    """Create an endpoint through the API; returns the body (with its one-time secret)."""
    answer = client.post("/api/v1/webhook-endpoints", headers=tenant.headers,
                         json={"url": url, "events": events or ["response.created"], **extra})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def deliveries(app, **where) -> list[WebhookDelivery]:
    with app.app_context():
        query = select(WebhookDelivery).order_by(WebhookDelivery.id)
        for name, value in where.items():
            query = query.where(getattr(WebhookDelivery, name) == value)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def endpoint_row(app, endpoint_id: int) -> WebhookEndpoint:
    with app.app_context():
        row = db.session.get(WebhookEndpoint, endpoint_id)
        db.session.expunge_all()
        return row


def make_due(app, delivery_id: int) -> None:
    """Time passes: the delivery's next attempt is due now."""
    with app.app_context():
        db.session.get(WebhookDelivery, delivery_id).next_attempt_at = utcnow() - timedelta(milliseconds=1)
        db.session.commit()


def sweep(app) -> int:
    from feedback_service.webhooks.jobs import sweep_due_deliveries as sweep_webhook_deliveries

    with app.app_context():
        return sweep_webhook_deliveries()


def retry_until_settled(app, delivery_id: int, timeout: float = 10.0) -> WebhookDelivery:
    """Let the (shortened) schedule run: sweep until the delivery is no longer pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [delivery] = deliveries(app, id=delivery_id)
        if delivery.status != "pending":
            return delivery
        time.sleep(0.06)
        sweep(app)
    raise AssertionError(f"delivery {delivery_id} still pending after {timeout}s")
