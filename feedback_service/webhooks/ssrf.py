"""Where a webhook may go: public http(s) addresses only, resolved once and pinned.

A webhook URL is chosen by a customer of ours, so without care it is a way to
make our servers call their own neighbours (the cloud metadata service, Redis,
the database). The host is resolved once; every address it resolves to must
be public, and the connection then goes to one of those very addresses, so a
DNS answer that changes between the check and the connection (rebinding)
gains nothing. The check runs when an endpoint is saved and again before
every attempt.
"""

from __future__ import annotations

import ipaddress
import socket
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from ..core import urls

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not public, though Python's ``is_global`` alone would not say so for all of them.
_REFUSED_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10",
    "fec0::/10", "ff00::/8",
))


# Kept as written: RFC 3986's reserved and unreserved characters, and "%" so escapes stay escapes.
_URL_SAFE = "/?#[]@!$&'()*+,;=:-._~%"


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; the message says why, for the person who entered it."""


@dataclass(frozen=True)
class Target:
    """A URL taken apart, with the addresses its host resolved to (checked, unless allowed private)."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def is_public(address: IPAddress) -> bool:
    """True for an address anyone on the internet could reach, and nothing else."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address wrapped in IPv6 is judged as itself: mapped ones are that
        # address; through 6to4, Teredo or NAT64 it must be public too.
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        embedded = address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is None and address in ipaddress.ip_network("64:ff9b::/96"):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    if any(address in network for network in _REFUSED_NETWORKS if network.version == address.version):
        return False
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def normalise(url: str) -> str:
    """``url`` in the form we store and send: scheme and host lowercase, the host in ASCII
    (punycode), and non-ASCII in the path, query and fragment percent-encoded as UTF-8."""
    url = url.strip()
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in url):
        raise UnsafeURL("Not a valid URL: it contains spaces or control characters (percent-encode them).")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise UnsafeURL("Not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL("Not a valid URL: only http and https URLs can receive webhooks.")
    if not url[len(scheme):].startswith("://"):
        raise UnsafeURL("Not a valid URL: write it as http(s)://host/path.")
    if "@" in parts.netloc:
        raise UnsafeURL("Put no credentials in the URL; verify our signature instead.")
    if not parts.netloc:
        raise UnsafeURL("Not a valid URL: the host is missing.")
    try:
        host, port = urls.split_authority(parts.netloc)
    except urls.BadAddress as error:
        raise UnsafeURL(f"Not a valid URL. {error}") from None
    normal = f"{scheme}://{host}" + ("" if port is None else f":{port}") + quote(parts.path, safe=_URL_SAFE)
    if parts.query:
        normal += "?" + quote(parts.query, safe=_URL_SAFE)
    if parts.fragment:  # never sent, but kept: it is the URL as given
        normal += "#" + quote(parts.fragment, safe=_URL_SAFE)
    return normal


def resolve(url: str, *, allow_private: bool = False) -> Target:
    """Take ``url`` apart (``normalise``) and resolve its host once; refuse anything not public
    (unless allowed)."""
    parts = urlsplit(normalise(url))
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = _addresses_of(host, port)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                shown = f"{address} ({address.ipv4_mapped})" if getattr(address, "ipv4_mapped", None) else address
                raise UnsafeURL(f"{host} resolves to {shown}, which is not a public address; "
                                "webhooks only go to public addresses.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, tuple(dict.fromkeys(str(a) for a in addresses)))


def _addresses_of(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as error:
        raise UnsafeURL(f"{host} does not resolve ({error}).") from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # Drop an IPv6 zone ("fe80::1%eth0"): the address is what is judged.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnsafeURL(f"{host} resolves to no address.")
    return addresses
