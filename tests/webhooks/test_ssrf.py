"""Webhooks go to public addresses only: checked when saved, checked again before each attempt."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from feedback_service import create_app
from feedback_service.extensions import db
from feedback_service.webhooks import ssrf
from tests.helpers.assertions import assert_error, row_counts
from tests.helpers.webhooks import deliveries, webhook_app_config

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


@pytest.mark.parametrize("url", [
    "http://1.1.1.1:0/hook", "http://1.1.1.1:65536/hook", "http://1.1.1.1:/hook", "http://1.1.1.1:x/hook",
    "http://a b.com/hook", "http://a.com\\evil/hook", "http://a,b.com/", "http://a.com;b/", "http://a.com%2F/",
    "http://a_b.com/", "http://a..com/", "http://-a.com/", "http://\u2603.com/", "http://[::1/", "http://1.2.3/",
    "http://host/my hook", "http://host/\nhook", "http:/host/hook", "http://", "https:///hook",
    "http://[fe80::1%25eth0]/",
])
def test_a_malformed_url_is_refused_and_nothing_is_stored(guarded_app, client, org, url):
    before = row_counts(guarded_app)

    body = assert_error(create(client, org, url), 422, "url")

    assert "valid URL" in body["errors"]["url"][0]
    assert row_counts(guarded_app) == before


@pytest.mark.parametrize(("given", "stored"), [
    ("http://hooks.example.com/café", "http://hooks.example.com/caf%C3%A9"),
    ("http://hooks.example.com/q?y=é&z=%C3%A9", "http://hooks.example.com/q?y=%C3%A9&z=%C3%A9"),
    ("HTTPS://Hooks.Example.COM:8443/In/%7Eme?a=1&b=[x]#top", "https://hooks.example.com:8443/In/%7Eme?a=1&b=[x]#top"),
    ("https://hooks.exämple.com/in", "https://hooks.xn--exmple-cua.com/in"),
    ("http://[::ffff:1.1.1.1]/", "http://[::ffff:101:101]/"),
    ("http://1.1.1.1:8080", "http://1.1.1.1:8080"),
])
def test_a_url_is_stored_in_the_form_it_is_sent(client, org, monkeypatch, given, stored):
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver(
        {"hooks.example.com": [PUBLIC], "hooks.xn--exmple-cua.com": [PUBLIC]}))

    created = create(client, org, given)

    assert created.status_code == 201, created.get_json()
    assert created.get_json()["url"] == stored


def test_a_public_ipv4_mapped_address_is_judged_by_the_address_not_its_spelling(client, org):
    refused = create(client, org, "http://[::ffff:127.0.0.1]/hook")

    assert "not a public address" in assert_error(refused, 422, "url")["errors"]["url"][0]
    assert "127.0.0.1" in refused.get_json()["errors"]["url"][0]
    assert create(client, org, "http://[::ffff:1.1.1.1]/hook").status_code == 201


def test_a_refused_url_leaves_the_endpoint_as_it_was(client, org, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver({"hooks.example.com": [PUBLIC]}))
    endpoint = create(client, org, "https://hooks.example.com/in").get_json()

    refused = client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=org.headers,
                           json={"url": "https://hooks.example.com:0/in", "events": ["follow_up.created"]})

    assert_error(refused, 422, "url")
    shown = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=org.headers).get_json()
    assert (shown["url"], shown["events"]) == ("https://hooks.example.com/in", ["response.created"])


def test_the_normal_form_is_the_same_when_normalised_again():
    url = "http://Exämple.com:81/caf%C3%A9/é?q=ü#ä"

    assert ssrf.normalise(ssrf.normalise(url)) == ssrf.normalise(url) == (
        "http://xn--exmple-cua.com:81/caf%C3%A9/%C3%A9?q=%C3%BC#%C3%A4")


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
