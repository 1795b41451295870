"""What every command shares: how ids are read, and the check that the schema exists."""

from __future__ import annotations

import json

import click
from sqlalchemy import inspect

from ..extensions import db
from ..models.base import MAX_ID

# Ids as the database holds them: a larger number is refused by click, not by a driver traceback.
ID = click.IntRange(1, MAX_ID)


def require_schema() -> None:
    if not inspect(db.engine).has_table("organization"):
        raise click.ClickException(
            "The database has no tables yet. Run 'flask --app wsgi db upgrade' first."
        )


def print_credentials(result, as_json: bool) -> None:
    """A new organisation's login and key, as text or as the contract's one JSON object."""
    if as_json:
        click.echo(json.dumps(result.as_json()))
        return
    click.echo(f"Organisation  {result.organization.name} (id {result.organization.id})")
    click.echo(f"API key       {result.api_key}   (shown once; keep it secret)")
    click.echo(f"Admin login   {result.admin.email} / {result.admin_password}")
