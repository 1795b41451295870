"""``flask --app wsgi …`` commands: tenants, demo data, the worker, the daily digest."""

from __future__ import annotations

import json
import sys

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import inspect

from ..core.database import commit
from ..extensions import db
from ..core.lookup import MAX_ID

# Ids as the database holds them: a larger number is refused by click, not by a driver traceback.
ID = click.IntRange(1, MAX_ID)


def register_cli(app: Flask) -> None:
    app.cli.add_command(create_org)
    app.cli.add_command(demo)
    app.cli.add_command(worker)
    app.cli.add_command(email_links)
    app.cli.add_command(rescore)
    app.cli.add_command(digest)
    from .export import export

    app.cli.add_command(export)


def _require_schema() -> None:
    if not inspect(db.engine).has_table("organization"):
        raise click.ClickException(
            "The database has no tables yet. Run 'flask --app wsgi db upgrade' first."
        )


def _print_credentials(result, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_json()))
        return
    click.echo(f"Organisation  {result.organization.name} (id {result.organization.id})")
    click.echo(f"API key       {result.api_key}   (shown once; keep it secret)")
    click.echo(f"Admin login   {result.admin.email} / {result.admin_password}")


@click.command("create-org")
@click.argument("name")
@click.option("--admin-email", required=True, help="Email of the first admin.")
@click.option("--admin-password", default=None, help="Their password; generated when omitted.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@with_appcontext
def create_org(name: str, admin_email: str, admin_password: str | None, as_json: bool) -> None:
    """Create an organisation with an admin login and an admin API key."""
    from email_validator import EmailNotValidError, validate_email

    from ..accounts.organizations import create_organization

    _require_schema()
    if not name.strip():
        raise click.BadParameter("must not be empty", param_hint="NAME")
    if len(name.strip()) > 200:
        raise click.BadParameter("use at most 200 characters", param_hint="NAME")
    try:
        validate_email(admin_email, check_deliverability=False)
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="--admin-email") from None
    if admin_password is not None and len(admin_password) < 10:
        raise click.BadParameter("use at least 10 characters", param_hint="--admin-password")
    result = create_organization(name, admin_email, admin_password)
    commit()
    _print_credentials(result, as_json)


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--if-empty", is_flag=True,
              help="Only create the demo in a database with no organisation yet (make run uses this).")
@with_appcontext
def demo(as_json: bool, if_empty: bool) -> None:
    """Create the demo shoe shop (once) and print its login and API key."""
    from sqlalchemy import func, select

    from ..models import Organization
    from ..demo.seed import ensure_demo, find_demo

    _require_schema()
    if if_empty and find_demo() is None and db.session.scalar(select(func.count()).select_from(Organization)):
        click.echo("The database already has organisations; no demo was added (run 'demo' without --if-empty).")
        return
    result = ensure_demo()
    commit()
    _print_credentials(result, as_json)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Sweep once, drain the queues, then exit.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run an RQ worker, with its scheduler, on every queue of the app.

    Without REDIS_URL there is no queue: requests run their jobs in-process, and
    this keeps the periodic sweep (retries, SLA checks, retention) in this process.
    """
    import redis

    from ..worker.process import run_worker

    try:
        sys.exit(run_worker(burst=burst))
    except redis.RedisError as error:  # only --burst gives up on Redis; a long-running worker waits for it
        raise click.ClickException(
            f"Redis is not answering at REDIS_URL ({error}). Start it, or unset REDIS_URL to run the "
            "sweep and its jobs in this process.") from None


@click.command("email-links")
@click.argument("touchpoint_id", type=ID)
@click.option("--customer-id", default=None, help="Your id for the customer the email goes to.")
@click.option("--customer-email", default=None, help="The customer's email address.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@with_appcontext
def email_links(touchpoint_id: int, customer_id: str | None, customer_email: str | None, as_json: bool) -> None:
    """Print one-click survey links (one per score) to put in an email."""
    from ..extensions import db
    from ..models import Touchpoint
    from ..collection.tokens import email_links as make_links

    _require_schema()
    touchpoint = db.session.get(Touchpoint, touchpoint_id)
    if touchpoint is None or touchpoint.archived_at is not None:
        raise click.ClickException(f"No touchpoint with id {touchpoint_id}. List them with GET /api/v1/touchpoints.")
    result = make_links(touchpoint, customer_id=customer_id, customer_email=customer_email)
    if as_json:
        click.echo(json.dumps({**result, "expires_at": result["expires_at"].isoformat()}))
        return
    click.echo(f"One-click links for {touchpoint.name!r} (valid until {result['expires_at']:%Y-%m-%d}):")
    for score, url in result["links"].items():
        click.echo(f"  {score:>2}  {url}")


@click.command("rescore")
@click.option("--touchpoint", "touchpoint_id", type=ID, default=None, help="Only this touchpoint's responses.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Only responses created on or after this date (UTC).")
@with_appcontext
def rescore(touchpoint_id: int | None, since) -> None:
    """Score comments again, e.g. after changing the sentiment thresholds.

    Only comments whose sentiment changes (label, scores, or skipped or not)
    are written, and only they get a response.scored event, and so webhook
    deliveries; the others are left as they are, updated_at included.
    """
    from datetime import UTC

    from sqlalchemy import select

    from ..models import Response, Touchpoint
    from ..sentiment.scoring import BATCH
    from ..sentiment.scoring import rescore as rescore_batch

    _require_schema()
    if touchpoint_id is not None and db.session.get(Touchpoint, touchpoint_id) is None:
        raise click.ClickException(f"No touchpoint with id {touchpoint_id}. List them with GET /api/v1/touchpoints.")
    query = select(Response.id).where(Response.comment.is_not(None)).order_by(Response.id)
    if touchpoint_id is not None:
        query = query.where(Response.touchpoint_id == touchpoint_id)
    if since is not None:
        query = query.where(Response.created_at >= since.replace(tzinfo=UTC))
    ids = list(db.session.scalars(query))
    db.session.rollback()
    if not ids:
        click.echo("No comments match; nothing to re-score.")
        return
    changed = 0
    with click.progressbar(length=len(ids), label=f"Re-scoring {len(ids)} comments", file=sys.stderr) as bar:
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            changed += rescore_batch(chunk)
            bar.update(len(chunk))
    click.echo(f"Checked {len(ids)} comments: {changed} changed (one response.scored event each), "
               f"{len(ids) - changed} unchanged.")


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
    from ..models import Organization, utcnow
    from ..loop import digests

    _require_schema()
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
