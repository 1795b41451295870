"""``flask --app wsgi export responses|follow-ups``: the bulk export, to a file, with a progress bar."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from ..exports import bulk as export_service
from .common import ID, require_schema

FORMAT = click.option("--format", "export_format", type=click.Choice(export_service.FORMATS), default="csv",
                      show_default=True, help="CSV (a header line first) or JSON Lines.")
OUTPUT = click.option("--output", type=click.File("w", encoding="utf-8", lazy=True), default="-",
                      help="The file to write ('-': standard output).")
UPDATED_AFTER = click.option("--updated-after", default=None, metavar="ISO8601",
                             help="Only rows changed after this instant, e.g. 2025-01-31T00:00:00+00:00 "
                                  "(UTC when no offset is given).")
ORGANIZATION = click.option("--organization", "organization_id", type=ID, default=None,
                            help="Only this organisation's rows (default: every organisation).")


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use ISO 8601, e.g. 2025-01-31T00:00:00+00:00", param_hint="--updated-after") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _write(what: export_service.Export, export_format: str, output) -> None:
    require_schema()
    total = what.count()
    written = 0
    with click.progressbar(length=total, label=f"Exporting {total} {what.kind}", file=sys.stderr) as bar:
        def counted(rows):
            nonlocal written
            for row in rows:
                yield row
                written += 1
                if written % 1000 == 0:
                    bar.update(1000)
            bar.update(written % 1000)

        for chunk in export_service.render(what, export_format, counted(what.rows())):
            output.write(chunk)
    output.flush()
    click.echo(f"Exported {written} {what.kind}.", err=True)


@click.group("export")
def export() -> None:
    """Export responses or follow-ups as CSV or JSON Lines, streamed in constant memory."""


@export.command("responses")
@FORMAT
@OUTPUT
@UPDATED_AFTER
@ORGANIZATION
@click.option("--touchpoint", "touchpoint_id", type=ID, default=None, help="Only this touchpoint's responses.")
@with_appcontext
def export_responses(export_format, output, updated_after, organization_id, touchpoint_id) -> None:
    """Every response (oldest change first), with its touchpoint, question and customer."""
    _write(export_service.responses(organization_id=organization_id, touchpoint_id=touchpoint_id,
                                    updated_after=_instant(updated_after)), export_format, output)


@export.command("follow-ups")
@FORMAT
@OUTPUT
@UPDATED_AFTER
@ORGANIZATION
@click.option("--status", default=None, help="Only follow-ups in this status.")
@with_appcontext
def export_follow_ups(export_format, output, updated_after, organization_id, status) -> None:
    """Every follow-up (oldest change first), with its response's score and comment."""
    _write(export_service.follow_ups(organization_id=organization_id, status=status,
                                     updated_after=_instant(updated_after)), export_format, output)
