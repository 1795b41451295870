"""Webhooks go to public addresses only: checked when saved, checked again before each attempt."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from feedback_service import create_app
from feedback_service.extensions import db
from feedback_service.services import ssrf

from .support import assert_error
from .webhook_receiver import deliveries, receiver, webhook_app_config  # noqa: F401

PUBLIC = "93.184.216.34"


@pytest.fixture(scope="module")
def guarded_app(app_config):
    """The production setting: private addresses refused."""
    app = create_app(webhook_app_config(app_config, WEBHOOK_ALLOW_PRIVATE_URLS=False))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(guarded_app):
    return guarded_app.test_client()


def create(client, tenant, url: str):
    return client.post("/api/v1/webhook-endpoints", headers=tenant.headers,
                       json={"url": url, "events": ["response.created"]})


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[fe80::1]/hook",
])
def test_an_endpoint_on_a_private_address_is_refused(client, org, url):
    refused = create(client, org, url)

    body = assert_error(refused, 422, "url")
    assert "public" in " ".join(body["errors"]["url"]) or "valid URL" in " ".join(body["errors"]["url"])


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "file:///etc/passwd", "gopher://example.com/",
                                 "http://user:pw@example.com/hook", "not a url"])
def test_only_plain_http_and_https_urls_are_accepted(client, org, url):
    assert_error(create(client, org, url), 422, "url")


def test_a_name_that_does_not_resolve_is_refused(client, org, monkeypatch):
    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)

    assert_error(create(client, org, "https://hooks.invalid/hook"), 422, "url")


def test_a_name_with_any_private_address_is_refused(client, org, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver({"mixed.example": [PUBLIC, "10.1.2.3"]}))

    body = assert_error(create(client, org, "https://mixed.example/hook"), 422, "url")
    assert "10.1.2.3" in body["errors"]["url"][0]


def test_a_public_name_is_accepted(client, org, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver({"hooks.example.com": [PUBLIC, "2606:4700::1111"]}))

    assert create(client, org, "https://hooks.example.com/in").status_code == 201


def test_a_name_that_turns_private_after_the_check_is_refused_at_send_time(guarded_app, client, org,
                                                                           make_touchpoint, receiver, monkeypatch):
    """DNS rebinding: public when the endpoint is saved, loopback when the webhook goes out."""
    answers = iter([[PUBLIC], ["127.0.0.1"]])
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            return real(next(answers)[0], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    _, pk = make_touchpoint(org)
    assert create(client, org, f"http://rebind.example:{receiver.port}/hook").status_code == 201

    assert client.post(f"/w/{pk}/responses", json={"score": 5}).status_code == 201

    [delivery] = deliveries(guarded_app)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error.startswith("refused:") and "127.0.0.1" in delivery.last_error
    assert receiver.requests == []  # nothing reached the loopback address


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.254",
    "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.1", "198.18.0.1",
    "::1", "::", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "fe80::1", "fc00::1", "ff02::1",
    "2002:7f00:1::", "64:ff9b::a00:1", "2001:db8::1",
])
def test_addresses_that_are_not_public(address):
    assert not ssrf.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [PUBLIC, "1.1.1.1", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses(address):
    assert ssrf.is_public(ipaddress.ip_address(address))


def test_the_check_can_be_turned_off_for_development(webhook_app_client_private, org, receiver):
    assert create(webhook_app_client_private, org, receiver.url()).status_code == 201


@pytest.fixture
def webhook_app_client_private(app_config):
    app = create_app(webhook_app_config(app_config, WEBHOOK_ALLOW_PRIVATE_URLS=True))
    yield app.test_client()
    with app.app_context():
        db.engine.dispose()


def fake_resolver(table: dict[str, list[str]]):
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in table:
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (a, port, 0, 0) if ":" in a else (a, port)) for a in table[host]]
        return real(host, port, *args, **kwargs)

    return resolve
