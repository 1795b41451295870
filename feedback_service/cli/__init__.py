"""``flask --app wsgi …``: the command-line adapter, one module per capability it drives.

May import: worker, demo, features, core, models, extensions, config. Nothing imports it but the app factory.
"""

from __future__ import annotations

from flask import Flask

from . import digest, exporting, links, organizations, rollups, scoring, worker


def register_cli(app: Flask) -> None:
    for command in (organizations.create_org, organizations.demo, worker.worker, links.email_links,
                    scoring.rescore, digest.digest, exporting.export, rollups.rollups):
        app.cli.add_command(command)
