"""``digest``: today's daily digest of follow-ups, now, to whoever has not had it."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..core.database import commit
from ..extensions import db
from ..loop import digests
from ..models import Organization, utcnow
from .common import ID, require_schema


@click.command("digest")
@click.option("--org", "--organization", "organization_id", type=ID, default=None,
              help="Only this organisation's staff (default: every organisation).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and record nothing.")
@click.option("--show-body", is_flag=True, help="With --dry-run, print each email's text too.")
@with_appcontext
def digest(organization_id: int | None, dry_run: bool, show_body: bool) -> None:
    """Send today's daily digest now to the staff who have not had it, whatever DIGEST_HOUR says.

    Still once a day per person: whoever had today's digest (from the worker's
    sweep or an earlier run) is skipped, as is whoever opted out. Nobody with
    nothing open gets an email.
    """
    require_schema()
    if organization_id is not None and db.session.get(Organization, organization_id) is None:
        raise click.ClickException(f"No organisation with id {organization_id}.")
    now = utcnow()
    day = digests.digest_day(now, hour=0)
    ids = digests.recipients_due(day, organization_id=organization_id)
    db.session.rollback()
    if not ids:
        click.echo(f"Nobody is due a digest for {day:%Y-%m-%d} (sent already, opted out, or no staff).")
        return
    outcomes: dict[str, int] = {"sent": 0, "empty": 0, "skipped": 0}
    previews: list[str] = []
    verb = "Previewing" if dry_run else "Sending"
    with click.progressbar(length=len(ids), label=f"{verb} {len(ids)} digests for {day:%Y-%m-%d}",
                           file=sys.stderr) as bar:
        for user_id in ids:
            if dry_run:
                found = digests.preview_digest(user_id, day, now)
                outcome = "skipped" if found is None else ("empty" if found.is_empty else "sent")
                if outcome == "sent":
                    subject, body = digests.render_digest(found)
                    previews.append(f"{found.user.email}: {subject}" + (f"\n\n{body}" if show_body else ""))
                db.session.rollback()
            else:
                outcome = digests.send_digest(user_id, day, now)
                commit()  # one person at a time: a failure later leaves these sent, and each email goes now
            outcomes[outcome] += 1
            bar.update(1)
    for line in previews:
        click.echo(line)
    sent = f"{outcomes['sent']} digest{'' if outcomes['sent'] == 1 else 's'}"
    if dry_run:
        click.echo(f"Dry run: would send {sent}; {outcomes['empty']} staff have nothing open, "
                   f"{outcomes['skipped']} skipped. Nothing was sent or recorded.")
    else:
        click.echo(f"Sent {sent}; {outcomes['empty']} staff have nothing open, "
                   f"{outcomes['skipped']} skipped (had today's already or opted out).")
