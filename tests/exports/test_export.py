"""Bulk export: CSV and JSON Lines of responses and follow-ups, streamed in constant memory."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from datetime import timedelta

import pytest
from sqlalchemy import insert

from feedback_service.exports import bulk as export
from feedback_service.extensions import db
from feedback_service.models import Response, Touchpoint, utcnow
from tests.helpers.assertions import assert_error

TRICKY = 'Slow, "very" slow;\nthen fine. Ünïcödé ✓'


@pytest.fixture
def answers(client, org, make_touchpoint):
    """Three answers at one touchpoint (one commented, by a known customer) and one at another."""
    journey_touchpoint, pk = make_touchpoint(org, name="Checkout")
    _, other_pk = make_touchpoint(org, name="Delivery")
    ids = [client.post(f"/w/{pk}/responses", json=body).get_json()["id"] for body in (
        {"score": 5},
        {"score": 1, "comment": TRICKY, "customer": {"id": "c-7", "email": "ann@example.com"},
         "context": {"order": "A-1"}},
        {"score": 3},
    )]
    ids.append(client.post(f"/w/{other_pk}/responses", json={"score": 4}).get_json()["id"])
    return {"touchpoint_id": journey_touchpoint, "ids": ids}


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


def jsonl_rows(response) -> list[dict]:
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def test_responses_export_as_csv_with_labels(client, org, answers):
    exported = client.get("/api/v1/exports/responses.csv", headers=org.headers, buffered=False)

    assert exported.status_code == 200 and exported.is_streamed
    assert exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"] == 'attachment; filename="responses.csv"'
    rows = csv_rows(exported)
    assert [int(r["id"]) for r in rows] == answers["ids"]  # oldest change first
    commented = rows[1]
    assert commented["comment"] == TRICKY
    assert (commented["touchpoint_name"], commented["customer_external_id"]) == ("Checkout", "c-7")
    assert commented["question"] == "How satisfied are you with your experience?"
    assert json.loads(commented["context"]) == {"order": "A-1"}
    assert commented["sentiment_status"] == "scored" and commented["score"] == "1"
    assert rows[0]["customer_id"] == "" and rows[0]["comment"] == ""


def test_responses_export_as_json_lines(client, org, answers):
    exported = client.get("/api/v1/exports/responses.jsonl", headers=org.headers)

    assert exported.status_code == 200 and exported.mimetype == "application/x-ndjson"
    rows = jsonl_rows(exported)
    assert [r["id"] for r in rows] == answers["ids"]
    assert rows[1]["comment"] == TRICKY and rows[1]["context"] == {"order": "A-1"}
    assert rows[1]["customer_email"] == "ann@example.com" and rows[0]["customer_id"] is None
    assert rows[0]["created_at"].endswith("+00:00")


def test_the_export_takes_the_lists_filters(client, org, answers):
    everything = jsonl_rows(client.get("/api/v1/exports/responses.jsonl", headers=org.headers))
    after = everything[1]["updated_at"]

    later = jsonl_rows(client.get("/api/v1/exports/responses.jsonl", headers=org.headers,
                                  query_string={"updated_after": after}))
    at_checkout = jsonl_rows(client.get("/api/v1/exports/responses.jsonl", headers=org.headers,
                                        query_string={"touchpoint_id": answers["touchpoint_id"]}))

    assert [r["id"] for r in later] == answers["ids"][2:]
    assert [r["id"] for r in at_checkout] == answers["ids"][:3]


def test_follow_ups_export_as_csv_and_json_lines(client, org, answers):
    as_csv = csv_rows(client.get("/api/v1/exports/follow-ups.csv", headers=org.headers))
    as_jsonl = jsonl_rows(client.get("/api/v1/exports/follow-ups.jsonl", headers=org.headers,
                                     query_string={"status": "new"}))

    listed = client.get("/api/v1/follow-ups", headers=org.headers).get_json()["data"]
    assert sorted(int(r["id"]) for r in as_csv) == sorted(f["id"] for f in listed)
    commented = next(r for r in as_csv if r["comment"] == TRICKY)
    assert (commented["touchpoint_name"], commented["score"], commented["status"]) == ("Checkout", "1", "new")
    assert {r["status"] for r in as_jsonl} == {"new"} and len(as_jsonl) == len(as_csv)


def test_another_organisation_exports_none_of_the_rows(app, client, org, make_org, answers):
    other = make_org("Other")
    with app.app_context():  # an export's query reads the settle window from the config
        header = ",".join(export.responses().columns)

    exported = client.get("/api/v1/exports/responses.csv", headers=other.headers)

    assert exported.get_data(as_text=True).splitlines() == [header]
    assert client.get("/api/v1/exports/follow-ups.jsonl", headers=other.headers).get_data() == b""


def test_an_unknown_format_or_filter_is_refused(client, org):
    assert_error(client.get("/api/v1/exports/responses.xlsx", headers=org.headers), 404)
    assert_error(client.get("/api/v1/exports/responses.csv?updated_after=yesterday", headers=org.headers), 422,
                 "updated_after")
    assert_error(client.get("/api/v1/exports/follow-ups.csv?status=lost", headers=org.headers), 422, "status")
    assert client.get("/api/v1/exports/responses.csv").status_code == 401


def seed_responses(app, tenant, touchpoint_id: int, count: int, comment: str = "x" * 200) -> None:
    """Many responses, inserted in bulk (the services would take minutes)."""
    with app.app_context(), tenant.scope():
        touchpoint = db.session.get(Touchpoint, touchpoint_id)
        start = utcnow() - timedelta(days=1)
        rows = [{"organization_id": tenant.id, "touchpoint_id": touchpoint_id,
                 "survey_version_id": touchpoint.current_survey_version_id, "metric": "csat", "score": 1 + i % 5,
                 "comment": f"{i} {comment}", "context": {"n": i}, "source": "api", "sentiment_status": "skipped",
                 "created_at": start + timedelta(milliseconds=i), "updated_at": start + timedelta(milliseconds=i)}
                for i in range(count)]
        for offset in range(0, count, 5000):
            db.session.execute(insert(Response.__table__), rows[offset:offset + 5000])
        db.session.commit()


def test_the_generator_yields_before_reading_every_row(app, org, make_touchpoint, monkeypatch):
    touchpoint_id, _ = make_touchpoint(org)
    seed_responses(app, org, touchpoint_id, 3000)
    monkeypatch.setattr(export, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(export, "YIELD_PER", 100)
    read = []

    with app.app_context(), org.scope():
        what = export.responses()
        chunks = export.render(what, "csv", (read.append(1) or row for row in what.rows()))
        first = next(chunks)
        read_for_first = len(read)
        rest = "".join(chunks)

    assert first.startswith("id,organization_id,touchpoint_id,")
    assert 0 < read_for_first < 100  # a chunk out after a few rows, not after all 3000
    assert len(read) == 3000
    assert len((first + rest).splitlines()) == 3001


def test_exporting_many_rows_takes_constant_memory(app, org, make_touchpoint, monkeypatch):
    """Five times the rows, the same peak: only a window of the export is ever in memory."""
    monkeypatch.setattr(export, "YIELD_PER", 200)
    touchpoint_id, _ = make_touchpoint(org)

    def traced_export() -> tuple[int, int]:
        with app.app_context(), org.scope():
            tracemalloc.start()
            try:
                size = sum(len(chunk) for chunk in export.render(export.responses(), "jsonl"))
                return size, tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    seed_responses(app, org, touchpoint_id, 1000)
    small_size, small_peak = traced_export()
    seed_responses(app, org, touchpoint_id, 4000)
    large_size, large_peak = traced_export()

    assert large_size > 4.5 * small_size
    assert large_peak < 1.3 * small_peak, (small_peak, large_peak)
    assert large_peak < large_size / 3


# --- CLI ------------------------------------------------------------------------------

def test_the_cli_exports_to_a_file_with_a_progress_bar(runner, org, answers, tmp_path):
    out = tmp_path / "responses.csv"

    result = runner.invoke(args=["export", "responses", "--format", "csv", "--output", str(out)])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert [int(r["id"]) for r in rows] == answers["ids"]
    assert rows[1]["comment"] == TRICKY
    assert "Exporting 4 responses" in result.stderr and "Exported 4 responses." in result.stderr


def test_the_cli_exports_follow_ups_as_json_lines_since_a_time(runner, org, answers, tmp_path):
    out = tmp_path / "follow-ups.jsonl"
    before = (utcnow() - timedelta(hours=1)).isoformat()
    after = (utcnow() + timedelta(hours=1)).isoformat()

    everything = runner.invoke(args=["export", "follow-ups", "--format", "jsonl", "--output", str(out),
                                     "--updated-after", before, "--organization", str(org.id)])
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    nothing = runner.invoke(args=["export", "follow-ups", "--format", "jsonl", "--updated-after", after])

    assert everything.exit_code == 0, everything.output
    assert rows and {r["organization_id"] for r in rows} == {org.id}
    assert nothing.exit_code == 0 and nothing.stdout == ""


def test_the_cli_refuses_a_bad_instant(runner):
    result = runner.invoke(args=["export", "responses", "--updated-after", "last week"])

    assert result.exit_code == 2 and "--updated-after" in result.output


def test_csv_cells_that_look_like_formulas_stay_text():
    from feedback_service.exports.bulk import _csv_cell

    assert _csv_cell('=HYPERLINK("http://evil.example")') == '\'=HYPERLINK("http://evil.example")'
    assert _csv_cell("+1 great") == "'+1 great"
    assert _csv_cell("Great shoes") == "Great shoes"
    assert _csv_cell(-3) == -3
