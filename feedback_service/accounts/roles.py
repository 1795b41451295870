"""Who may do what: staff and API keys have one of three roles, each able to do what those below it can."""

from __future__ import annotations

from ..models import ROLES

# viewer < agent < admin
ROLE_RANK = {role: rank for rank, role in enumerate(reversed(ROLES))}


def role_at_least(role: str, needed: str) -> bool:
    """Can someone with ``role`` do what ``needed`` may?"""
    return ROLE_RANK[role] >= ROLE_RANK[needed]
