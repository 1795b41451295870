"""One signed POST to a webhook receiver, over a connection pinned to a checked address.

``http.client`` with the socket opened by us: the TCP connection goes to an
address ``ssrf.resolve`` returned, while the Host header, TLS SNI and the
certificate check use the URL's real host name. Redirects are never followed
(a 3xx is an answer like any other non-2xx), only the first kilobyte of the
answer is read, and a watchdog closes the socket when the whole attempt has
taken its time limit, however slowly the receiver trickles bytes.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from ..models import utcnow
from .ssrf import Target

BODY_EXCERPT_BYTES = 1024
USER_AGENT = "feedback_service-webhooks/1"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to."""

    status_code: int | None = None
    body: str | None = None
    error: str | None = None
    duration_ms: int = 0
    timed_out: bool = False
    retry_after: float | None = None  # seconds, when the receiver said

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, address: str, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, address: str, timeout: float, context: ssl.SSLContext):
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._address = address
        self._context = context

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # SNI and the certificate's name are the URL's host, not the address we dialled.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    """POST ``body`` to ``target`` at the first of its checked addresses that accepts a connection."""
    started = time.monotonic()
    last_error: Outcome | None = None
    for address in target.addresses:
        remaining = timeout - (time.monotonic() - started)
        if remaining <= 0:
            break
        outcome = _post_once(target, address, body, headers, remaining, started)
        # Only a refused or unreachable connection is worth the next address.
        if outcome.status_code is not None or outcome.timed_out or not outcome.error.startswith("connect"):
            return outcome
        last_error = outcome
    return last_error or Outcome(error="timed out", timed_out=True, duration_ms=_ms(started))


def _post_once(target: Target, address: str, body: bytes, headers: dict[str, str], timeout: float,
               started: float) -> Outcome:
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, address, timeout, ssl.create_default_context())
    else:
        connection = _PinnedHTTPConnection(target, address, timeout)
    expired = threading.Event()

    def watchdog():
        expired.set()
        sock = connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    timer = threading.Timer(timeout, watchdog)
    timer.daemon = True
    timer.start()
    stage = "connect"
    try:
        connection.connect()
        stage = "send"
        connection.request("POST", target.path, body=body, headers={
            "Host": target.host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT,
            **headers})
        stage = "receive"
        response = connection.getresponse()
        excerpt = response.read(BODY_EXCERPT_BYTES)
        return Outcome(status_code=response.status, body=excerpt.decode("utf-8", "replace"),
                       duration_ms=_ms(started), retry_after=_retry_after(response.getheader("Retry-After")))
    except (TimeoutError, socket.timeout):
        return Outcome(error=f"timed out after {timeout:.1f}s ({stage})", timed_out=True, duration_ms=_ms(started))
    except UnicodeError as error:
        # Stored URLs are normalised to ASCII, but a row from before that (or a header) may not be.
        return Outcome(error=f"{stage}: the request cannot be written in ASCII, as HTTP needs "
                             f"(percent-encode the URL): {error}"[:2000], duration_ms=_ms(started))
    except (OSError, http.client.HTTPException, ssl.SSLError) as error:
        if expired.is_set():
            return Outcome(error=f"timed out after {timeout:.1f}s ({stage})", timed_out=True,
                           duration_ms=_ms(started))
        return Outcome(error=f"{stage}: {type(error).__name__}: {error}"[:2000], duration_ms=_ms(started))
    finally:
        timer.cancel()
        connection.close()


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, (when - utcnow()).total_seconds())


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
