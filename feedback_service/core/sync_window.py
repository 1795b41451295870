"""The settle window of every listing a consumer syncs by ``updated_at``.

``updated_at`` is stamped before the writing transaction commits, so stamp
order is not commit order, and a reader resuming after the newest stamp it saw
could miss a change stamped earlier that committed later. So a sync listing
(``updated_after`` on /responses and /follow-ups, the exports) shows only rows
stamped more than ``SYNC_SETTLE_SECONDS`` ago: by then every transaction that
stamped one has committed, as long as none holds a stamp longer than that.
Why the default (5 s) is enough: docs/decisions/0004-the-sync-settle-window.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from ..models import utcnow


def edge() -> datetime:
    """Rows stamped before this are settled: every transaction that stamped one has committed.

    Taken before the listing's query runs, so its snapshot is at least as new."""
    return utcnow() - timedelta(seconds=current_app.config["SYNC_SETTLE_SECONDS"])


def settled(updated_at):
    """The clause that keeps a sync listing to settled rows."""
    return updated_at < edge()
