"""The settle window of every listing a consumer syncs by ``updated_at``.

``updated_at`` is stamped by the writer before its transaction commits, so
stamp order is not commit order: a change stamped at 12:00:00.100 that commits
at 12:00:00.900 is invisible to a reader at 12:00:00.500, who may already have
seen, and moved its cursor (or its ``updated_after`` mark) past, a change
stamped at 12:00:00.300 that committed at once. Resuming after that mark, the
reader would never see the first change.

So a sync listing (``GET /responses`` and ``/follow-ups`` with
``updated_after``, the exports) shows only rows stamped more than
``SYNC_SETTLE_SECONDS`` ago. A reader's position never passes that edge, and a
transaction that stamped a row before the edge has committed by the time the
reader looks, as long as no transaction holds a stamp longer than the window
before it commits. Rows changed within the window come on a later call.

Why the default (5 s) is safe. The longest stamp-to-commit spans are:

* an answer stored (``services.intake``): one statement on PostgreSQL, a few
  milliseconds elsewhere;
* a staff edit, a comment or a corrected score: one request, milliseconds (the
  emails it sends go to the outbox, not over SMTP in the transaction);
* a scoring batch (``tasks.sentiment``, also ``flask rescore``): stamped after
  VADER has run, then one write, the follow-ups' priorities and the commit,
  about 0.1–0.5 s for 1,000 rows; up to about a second with two lanes sharing
  the GIL;
* a batch of 100 follow-ups opened (``tasks.responses``), which stamps its first
  response at its first flush and commits after the hundredth: about a second,
  more if it queues for a team's lock behind another worker's batch;
* the SLA watch (``tasks.sla``), which marks every newly overdue follow-up in
  one transaction: a sweep's worth, normally a handful.

Five seconds covers those with room for one lock wait behind another such
batch and for the clocks of the hosts that stamp (NTP keeps them within
milliseconds). Exports and other long reads stamp nothing, so they do not count.

On SQLite there is a single writer and every writer takes the write lock when
its transaction begins (``database._sqlite_begin``); rows are stamped after
that, so commit order is stamp order and the window only guards against the
clock stepping back. On PostgreSQL it is the guarantee: a transaction that holds
a stamp longer than the window (a lock wait behind something that never ends)
could still be missed, as could rows written with an ``updated_at`` in the past
(``flask demo``).
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
