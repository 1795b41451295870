"""Secrets: API keys, publishable keys and staff passwords.

API keys look like ``sk_<lookup>_<secret><checksum>``. The lookup part is stored
in the clear to find the row; the whole key only as a SHA-256 digest (the key
is 190 random bits, so a fast hash is the right tool; a slow KDF is for
passwords people choose). The CRC32 tail lets us reject typos and scanners'
guesses without touching the database, and lets secret scanners recognise a
leaked key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import zlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_ALPHABET = string.digits + string.ascii_letters
# The shapes keys are made in: anything else is refused before it reaches a query
# (PostgreSQL refuses a NUL in text with an error, not a miss).
_API_KEY = re.compile(r"sk_[0-9A-Za-z]{10}_[0-9A-Za-z]{38}")
_PUBLISHABLE_KEY = re.compile(r"pk_[0-9A-Za-z]{24}")
_password_hasher = PasswordHasher()


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def _random_base62(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), 6)


def generate_api_key(seed: bytes | None = None) -> tuple[str, str, str]:
    """Return ``(key, prefix, digest)``: show the key once, store prefix and digest.

    With ``seed`` the key is derived from it instead of drawn at random, so the
    demo organisation can print the same key on every ``make run``.
    """
    if seed is None:
        lookup, secret = _random_base62(10), _random_base62(32)
    else:
        stream = int.from_bytes(hashlib.sha512(seed).digest(), "big")
        lookup, secret = _base62(stream, 10), _base62(stream >> 64, 32)
    body = f"sk_{lookup}_{secret}"
    key = body + _checksum(body)
    return key, f"sk_{lookup}", hash_api_key(key)


def parse_api_key(key: str) -> str | None:
    """The lookup prefix of a well-formed key whose checksum holds, else None."""
    if not _API_KEY.fullmatch(key):
        return None
    body, tail = key[:-6], key[-6:]
    if not hmac.compare_digest(_checksum(body), tail):
        return None
    return body[:13]


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_matches(key: str, digest: str) -> bool:
    return hmac.compare_digest(hash_api_key(key), digest)


def generate_publishable_key() -> str:
    # Public by design (it sits in the host page), but unguessable so nobody
    # can enumerate touchpoints.
    return "pk_" + _random_base62(24)


def is_publishable_key(key: str) -> bool:
    return _PUBLISHABLE_KEY.fullmatch(key) is not None


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        return False
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
