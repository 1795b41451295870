"""Bulk export for warehouses and CRMs: every matching row, streamed as CSV or JSON Lines."""

from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import abort

from ..exports import bulk as export
from ..schemas.exports import FollowUpExportArgs, ResponseExportArgs
from .auth import current_principal
from .management import management_blueprint

blp = management_blueprint("exports", __name__,
                           description="Responses and follow-ups as CSV or JSON Lines, streamed, oldest change first.")

_STREAM = {"200": {
    "description": "The rows ordered by `(updated_at, id)`, changes at least `SYNC_SETTLE_SECONDS` (5 s) "
                   "old; a header line first in CSV. Streamed: any number of rows.",
    "content": {media_type.split(";")[0]: {"schema": {"type": "string"}} for media_type in export.MEDIA_TYPES.values()},
}}


def _stream(what: export.Export, export_format: str) -> Response:
    if export_format not in export.FORMATS:
        abort(404, message=f"Exports come as {' or '.join(export.FORMATS)}: "
                           f"/api/v1/exports/{what.kind}.csv or .jsonl.")
    response = Response(stream_with_context(export.render(what, export_format)),
                        mimetype=export.MEDIA_TYPES[export_format].split(";")[0])
    if export_format == "csv":
        response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{what.kind}.{export_format}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/exports/responses.<export_format>")
class ResponseExport(MethodView):
    @blp.arguments(ResponseExportArgs, location="query")
    @blp.doc(responses=_STREAM)
    def get(self, args, export_format):
        """Every response matching the filters (`export_format`: csv or jsonl)."""
        return _stream(export.responses(organization_id=current_principal().organization_id, **args),
                       export_format)


@blp.route("/exports/follow-ups.<export_format>")
class FollowUpExport(MethodView):
    @blp.arguments(FollowUpExportArgs, location="query")
    @blp.doc(responses=_STREAM)
    def get(self, args, export_format):
        """Every follow-up matching the filters (`export_format`: csv or jsonl)."""
        return _stream(export.follow_ups(organization_id=current_principal().organization_id, **args),
                       export_format)
