"""Replies reach the customer over SMTP, and survive the mail server being away."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from feedback_service import create_app
from feedback_service.extensions import db
from feedback_service.models import OutboundEmail, Response, utcnow


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def mail_app(app_config, smtp_port):
    return create_app({**app_config, "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "RATELIMIT_STORAGE_URI": "memory://",
                       "MAIL_FROM": "care@stride-shoes.example"})


@pytest.fixture
def follow_up(mail_app, org, make_team, make_touchpoint):
    team_id = make_team(org, "Support", members=1)
    _, pk = make_touchpoint(org, name="Contact support", team_id=team_id)
    client = mail_app.test_client()
    client.post(f"/w/{pk}/responses", json={"score": 1, "comment": "Fifteen minutes on hold.",
                                            "customer": {"email": "ann@example.com"}})
    return client.get("/api/v1/follow-ups", headers=org.headers).json["data"][0]


def start_inbox(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def emails(app, kind="reply"):
    with app.app_context():
        return db.session.scalars(select(OutboundEmail).where(OutboundEmail.kind == kind)).all()


def test_reply_is_delivered_to_the_customer(mail_app, org, follow_up, smtp_port):
    controller, inbox = start_inbox(smtp_port)
    try:
        client = mail_app.test_client()
        replied = client.post(f"/api/v1/follow-ups/{follow_up['id']}/reply",
                              json={"message": "You said the wait was long; we added two agents."},
                              headers=org.headers)
        assert replied.status_code == 201
    finally:
        controller.stop()
    to_customer = [(rcpt, body) for rcpt, body in inbox.messages if rcpt == ["ann@example.com"]]
    assert len(to_customer) == 1
    assert "we added two agents" in to_customer[0][1]
    assert "From: care@stride-shoes.example" in to_customer[0][1]
    [email] = emails(mail_app)
    assert (email.status, email.attempts) == ("sent", 1)
    shown = client.get(f"/api/v1/follow-ups/{follow_up['id']}", headers=org.headers).json["emails"]
    assert [(e["to"], e["status"], e["attempts"]) for e in shown if e["kind"] == "reply"] == [
        ("ann@example.com", "sent", 1)]


def test_reply_is_retried_when_the_mail_server_was_down(mail_app, org, follow_up, smtp_port):
    from feedback_service.mail.jobs import send_email
    from feedback_service.mail.jobs import sweep_due_emails as sweep_emails

    client = mail_app.test_client()
    client.post(f"/api/v1/follow-ups/{follow_up['id']}/reply", json={"message": "Sorry!"}, headers=org.headers)
    [email] = emails(mail_app)
    assert (email.status, email.attempts) == ("queued", 1)
    [shown] = [e for e in client.get(f"/api/v1/follow-ups/{follow_up['id']}", headers=org.headers).json["emails"]
               if e["kind"] == "reply"]
    assert (shown["status"], shown["attempts"]) == ("queued", 1)
    assert shown["last_error"] and shown["next_attempt_at"]  # the API says why, and when it tries again
    assert "ConnectionRefusedError" in email.last_error
    controller, inbox = start_inbox(smtp_port)
    try:
        with mail_app.app_context():
            db.session.get(OutboundEmail, email.id).next_attempt_at = utcnow() - timedelta(seconds=1)
            db.session.commit()
            assert sweep_emails() >= 1  # in-process: the sweep runs send_email at once
            assert send_email(email.id) == "nothing to do"  # a second run sends nothing more
    finally:
        controller.stop()
    [email] = emails(mail_app)
    assert (email.status, email.attempts) == ("sent", 2)
    assert [rcpt for rcpt, _ in inbox.messages].count(["ann@example.com"]) == 1


def test_delivery_gives_up_after_the_retry_schedule(mail_app, org, follow_up, monkeypatch):
    from feedback_service.mail.jobs import send_email

    monkeypatch.setitem(mail_app.config, "MAIL_RETRY_SCHEDULE", [1])
    client = mail_app.test_client()
    client.post(f"/api/v1/follow-ups/{follow_up['id']}/reply", json={"message": "Sorry!"}, headers=org.headers)
    [email] = emails(mail_app)
    with mail_app.app_context():
        assert send_email(email.id) == "failed"
    [email] = emails(mail_app)
    assert (email.status, email.attempts) == ("failed", 2)


def test_without_smtp_url_replies_stay_in_the_outbox(app, client, org, make_team, make_touchpoint):
    team_id = make_team(org, "Support", members=1)
    _, pk = make_touchpoint(org, team_id=team_id)
    client.post(f"/w/{pk}/responses", json={"score": 1, "comment": "Bad.", "customer": {"email": "a@example.com"}})
    item = client.get("/api/v1/follow-ups", headers=org.headers).json["data"][0]
    client.post(f"/api/v1/follow-ups/{item['id']}/reply", json={"message": "Sorry!"}, headers=org.headers)
    [email] = emails(app)
    assert (email.status, email.sent_at) == ("outbox", None)


def test_the_owner_is_emailed_about_a_new_assignment(mail_app, org, follow_up):
    [notice] = emails(mail_app, kind="assignment")
    assert notice.to_address.endswith("@staff.example")
    assert "Fifteen minutes on hold." in notice.body
    # Read in a mail client, so the link carries the service's address.
    base = mail_app.config["PUBLIC_BASE_URL"]
    assert f"Open it in the console: {base}/follow-ups/{follow_up['id']}" in notice.body


def test_an_sla_escalation_is_sent_by_the_check_that_found_the_breach(mail_app, org, follow_up, smtp_port):
    from feedback_service.loop.jobs import check_sla

    controller, inbox = start_inbox(smtp_port)
    try:
        with mail_app.app_context():
            assert check_sla(now=utcnow() + timedelta(days=8)) == 1  # past any SLA
    finally:
        controller.stop()
    [escalation] = emails(mail_app, kind="escalation")
    assert (escalation.status, escalation.to_address) == ("sent", org.admin_email)
    assert [rcpt for rcpt, _ in inbox.messages].count([org.admin_email]) == 1
    assert f"Open it: {mail_app.config['PUBLIC_BASE_URL']}/follow-ups/{follow_up['id']}" in escalation.body


def test_an_email_that_cannot_be_written_fails_at_once_instead_of_retrying(mail_app, org, follow_up):
    from feedback_service.mail.jobs import send_email

    [email] = emails(mail_app, kind="assignment")
    with mail_app.app_context():
        # Older rows (or a path that skipped queue_email) may hold a header smtplib refuses.
        db.session.get(OutboundEmail, email.id).subject = "Support\r\nBcc: someone@example.com"
        db.session.get(OutboundEmail, email.id).status = "queued"
        db.session.commit()
        assert send_email(email.id) == "failed"
        assert send_email(email.id) == "nothing to do"  # and the sweep does not pick it up again
    [email] = emails(mail_app, kind="assignment")
    assert email.status == "failed" and email.next_attempt_at is None
    assert email.last_error.startswith("cannot be sent as written")


def test_a_subject_is_one_line_whatever_went_into_it(app, org):
    from feedback_service.mail import outbox as mail

    with app.app_context(), org.scope():
        email = mail.queue_email(kind="reply", to="ann@example.com", subject="About\r\n your\tfeedback ",
                                 body="Thanks.")
        assert email.subject == "About your feedback"
        db.session.rollback()


@pytest.mark.parametrize("path,body", [
    ("/api/v1/journeys", {"name": "Buying\r\nBcc: someone@example.com"}),
    ("/api/v1/teams", {"name": "Support\nteam"}),
])
def test_names_with_line_breaks_are_refused(client, org, path, body):
    refused = client.post(path, json=body, headers=org.headers)
    assert refused.status_code == 422
    assert "single line" in refused.json["errors"]["name"][0]


def test_a_worker_batch_queues_each_owners_email_with_its_own_job(mail_app, org, make_team, make_touchpoint,
                                                                  make_response, monkeypatch):
    from feedback_service.core import jobs
    from feedback_service.loop.opening import open_pending as open_pending_follow_ups

    team_id = make_team(org, "Support", members=2)
    tp_id, _ = make_touchpoint(org, name="Contact support", team_id=team_id)
    ids = [make_response(org, tp_id, score=2, comment=f"Hold music {i}") for i in range(3)]
    asked = []
    monkeypatch.setattr(jobs, "dispatch", lambda job: asked.append(job))  # what the commit would run
    with mail_app.app_context():
        db.session.execute(update(Response).where(Response.id.in_(ids)).values(follow_up_pending=True))
        db.session.commit()
        open_pending_follow_ups()
    sent = emails(mail_app, kind="assignment")
    assert len(sent) == 3 and all(email.status == "queued" for email in sent)
    assert sorted(job.job_id for job in asked if job.job_id and job.job_id.startswith("email-")) == sorted(
        f"email-{email.id}-0" for email in sent)
