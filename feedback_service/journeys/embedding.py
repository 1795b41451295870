"""Where a touchpoint's survey is reached from outside: the embed snippet, the hosted page, its QR codes."""

from __future__ import annotations

from ..core.urls import public_url
from ..models import Touchpoint


def embed_snippet(touchpoint: Touchpoint) -> str:
    """The ``<script>`` tag a site pastes to show this touchpoint's widget."""
    return f'<script src="{public_url("/widget.js")}" data-touchpoint="{touchpoint.publishable_key}" async></script>'


def hosted_url(touchpoint: Touchpoint) -> str:
    """The hosted survey page: for links, emails, SMS and the QR code."""
    return public_url(f"/s/{touchpoint.publishable_key}")


def qr_code_url(touchpoint: Touchpoint, kind: str) -> str:
    """The QR code (``svg`` or ``png``) that opens the hosted page."""
    return f"{hosted_url(touchpoint)}/qr.{kind}"
