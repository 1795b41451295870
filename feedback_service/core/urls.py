"""The service's own public URLs; hosts, ports and origins taken apart strictly, and written the one way
browsers send them.

Both the touchpoints' allowed origins and the webhook URLs go through here, so
one rule decides what a host is: an IPv4 address in dotted-quad form, a
bracketed IPv6 address, or a domain name of LDH labels (letters, digits,
hyphens; 1-63 characters, no hyphen first or last; 253 in all). An
internationalised name is stored as its punycode (IDNA, UTS #46, as browsers
convert it), lowercased, so ``https://exämple.com`` is kept as
``https://xn--exmple-cua.com``, the very text a browser puts in ``Origin``.
"""

from __future__ import annotations

import ipaddress
import re

import idna  # already required by email-validator
from flask import current_app

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_ORIGIN_LENGTH = 255

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# A last label that is a number (decimal or 0x-hex) makes a browser read the host as an
# IPv4 address ("http://2130706433" is 127.0.0.1), so it is an address or nothing.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")
_AUTHORITY = re.compile(r"(?P<host>\[[^\[\]]*\]|[^\[\]:]*)(?::(?P<port>[0-9]{1,5}))?")
_ORIGIN = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)")


def public_url(path: str) -> str:
    """An absolute URL of this service as customers reach it (``PUBLIC_BASE_URL``): for embed
    snippets, emails and QR codes, which have no page to be relative to."""
    return f"{current_app.config['PUBLIC_BASE_URL']}{path}"


class BadAddress(ValueError):
    """What is wrong, in words for whoever typed it."""


def canonical_host(host: str) -> str:
    """``host`` as browsers write it: lowercase ASCII, IPv6 bracketed and compressed."""
    if host.startswith("["):
        return f"[{_ipv6(host[1:-1] if host.endswith(']') else host)}]"
    if not host:
        raise BadAddress("The host is missing.")
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError):
            raise BadAddress(f"'{host}' is not a valid internationalised domain name.") from None
    host = host.lower()
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise BadAddress(f"'{host}' is not a valid IPv4 address (write four numbers 0-255 "
                             "separated by dots).") from None
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise BadAddress(f"'{host}' is not a valid host name: use letters, digits and hyphens between dots "
                         "(each part 1-63 characters, no hyphen first or last), an IPv4 address or a "
                         "bracketed IPv6 address.")
    for label in labels:
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                raise BadAddress(f"'{host}' is not a valid host name: '{label}' is not valid punycode.") from None
    return host


def _ipv6(text: str) -> str:
    try:
        address = ipaddress.IPv6Address(text) if "%" not in text else None
    except ValueError:
        address = None
    if address is None:
        raise BadAddress(f"'[{text}]' is not a valid IPv6 address.")
    if address.ipv4_mapped is not None:
        # Written in hex as browsers do (and as Python 3.11 did; 3.13 writes dotted quads).
        value = int(address)
        return f"::ffff:{value >> 16 & 0xFFFF:x}:{value & 0xFFFF:x}"
    return address.compressed


def split_authority(authority: str) -> tuple[str, int | None]:
    """``host[:port]`` (no user info) as the canonical host and the port, if one is written."""
    match = _AUTHORITY.fullmatch(authority)
    if match is None:
        if re.fullmatch(r"(?:\[[^\[\]]*\]|[^\[\]:]*):.*", authority):
            raise BadAddress("The port must be a number from 1 to 65535.")
        raise BadAddress(f"'{authority}' is not a valid host and port.")
    host = canonical_host(match["host"])
    if match["port"] is None:
        return host, None
    port = int(match["port"])
    if not 1 <= port <= 65535:
        raise BadAddress("The port must be a number from 1 to 65535.")
    return host, port


def bare_origin(text: str) -> str:
    """``scheme://host[:port]`` and nothing else, in the form a browser's ``Origin`` header has.

    The scheme is http or https; a default port (80, 443) is dropped, as browsers drop it.
    """
    value = text.strip()
    match = _ORIGIN.fullmatch(value)
    if match is None or len(value) > MAX_ORIGIN_LENGTH:
        raise BadAddress("Not a bare origin like 'https://shop.example.com' or 'http://localhost:8080' "
                         "(scheme, host and optional port only: no path, query, fragment or user).")
    scheme = match["scheme"].lower()
    if scheme not in DEFAULT_PORTS:
        raise BadAddress("An origin's scheme is http or https.")
    if "@" in match["authority"]:
        raise BadAddress("An origin has no user name or password.")
    host, port = split_authority(match["authority"])
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"
