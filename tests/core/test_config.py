"""Configuration from the environment: secrets, database URLs, SQLite for many workers."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text

from feedback_service import create_app
from feedback_service.config import ConfigError, from_environ
from feedback_service.extensions import db

ENV_VARS = ("FEEDBACK_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    """No stray variables from the shell, and an instance dir of the test's own."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(instance))
    return instance


def sqlite_url(tmp_path, name="config.db") -> str:
    return f"sqlite:///{tmp_path / name}"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("FEEDBACK_ENV", "production")

    with pytest.raises(ConfigError) as refused:
        create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path)})

    assert "set SECRET_KEY" in str(refused.value)


def test_production_config_given_in_code_also_refuses_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path)})


def test_production_starts_with_the_secret_key_from_the_environment(monkeypatch, tmp_path, _clean_environment):
    monkeypatch.setenv("FEEDBACK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret-from-the-vault")

    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path)})

    assert app.config["SECRET_KEY"] == "a-long-production-secret-from-the-vault"
    assert not (_clean_environment / "secret_key").exists()


def test_development_generates_a_secret_key_into_the_instance_dir(tmp_path, _clean_environment):
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path)})

    key_file = _clean_environment / "secret_key"
    assert key_file.read_text().strip() == app.config["SECRET_KEY"]
    assert len(app.config["SECRET_KEY"]) >= 32
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only


def test_development_reuses_the_generated_key_on_the_next_start(tmp_path):
    first = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path)})
    second = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path)})

    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_default_database_is_a_sqlite_file_in_the_instance_dir(_clean_environment):
    app = create_app()

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{_clean_environment / 'feedback.db'}"


@pytest.mark.parametrize("given", [
    "postgres://feedback:pw@db.example:5432/feedback",
    "postgresql://feedback:pw@db.example:5432/feedback",
    "postgresql+psycopg://feedback:pw@db.example:5432/feedback",
])
def test_postgres_urls_from_the_environment_use_psycopg_3(monkeypatch, given):
    monkeypatch.setenv("DATABASE_URL", given)

    app = create_app({"SECRET_KEY": "test"})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://feedback:pw@db.example:5432/feedback"
    with app.app_context():
        assert db.engine.url.drivername == "postgresql+psycopg"


def test_postgres_url_given_in_code_is_normalised_too():
    app = create_app({"SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": "postgres://u@db.example/feedback"})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/feedback"


def test_sqlite_connections_use_wal_and_wait_for_the_write_lock(tmp_path):
    app = create_app({"SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path, "wal.db")})

    with app.app_context():
        journal_mode = db.session.execute(text("PRAGMA journal_mode")).scalar()
        busy_timeout = db.session.execute(text("PRAGMA busy_timeout")).scalar()
        foreign_keys = db.session.execute(text("PRAGMA foreign_keys")).scalar()
        db.session.remove()
        db.engine.dispose()

    assert journal_mode == "wal"
    assert busy_timeout >= 5000
    assert foreign_keys == 1


def test_the_suites_own_database_is_configured_for_concurrent_writers(app, database_kind):
    with app.app_context():
        if database_kind == "sqlite":
            journal_mode = db.session.execute(text("PRAGMA journal_mode")).scalar()
            busy_timeout = db.session.execute(text("PRAGMA busy_timeout")).scalar()
            assert (journal_mode, busy_timeout > 0) == ("wal", True)
        else:
            # PostgreSQL has row locks of its own; what matters is the driver we ship.
            assert db.engine.url.drivername == "postgresql+psycopg"
            assert db.engine.dialect.driver == "psycopg"
        db.session.remove()


def test_redis_url_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/2")

    # The limiter lives on a process-wide extension: keep it off this made-up host.
    app = create_app({"SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path),
                      "RATELIMIT_STORAGE_URI": "memory://"})

    assert app.config["REDIS_URL"] == "redis://cache.example:6379/2"


def test_without_redis_url_jobs_run_in_process(app, client, org, make_touchpoint):
    from sqlalchemy import select

    from feedback_service.extensions import db
    from feedback_service.models import FollowUp, Response

    assert app.config["REDIS_URL"] is None
    _, pk = make_touchpoint(org)
    answer = client.post(f"/w/{pk}/responses", json={"score": 1, "comment": "The coupon was refused. Awful."})
    # Once the answer has been sent, the same jobs the worker runs have run here.
    with app.app_context():
        response = db.session.get(Response, answer.get_json()["id"])
        opened = db.session.scalar(select(FollowUp).where(FollowUp.response_id == response.id))
        assert (response.sentiment_status, response.sentiment_label) == ("scored", "negative")
        assert opened is not None and opened.priority == "urgent"


def test_the_event_log_settle_time_comes_from_the_environment():
    assert from_environ({"EVENT_LOG_SETTLE_SECONDS": "0.25"}) == {"EVENT_LOG_SETTLE_SECONDS": 0.25}
    with pytest.raises(ConfigError, match="EVENT_LOG_SETTLE_SECONDS"):
        from_environ({"EVENT_LOG_SETTLE_SECONDS": "a while"})


def test_the_sync_settle_window_comes_from_the_environment_and_defaults_to_seconds(tmp_path):
    assert from_environ({"SYNC_SETTLE_SECONDS": "2.5"}) == {"SYNC_SETTLE_SECONDS": 2.5}
    for wrong in ("soon", "-1"):
        with pytest.raises(ConfigError, match="SYNC_SETTLE_SECONDS"):
            from_environ({"SYNC_SETTLE_SECONDS": wrong})
    app = create_app({"SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path)})
    assert app.config["SYNC_SETTLE_SECONDS"] == 5


def test_sentiment_thresholds_come_from_the_environment():
    config = from_environ({"SENTIMENT_POSITIVE_THRESHOLD": "0.3", "SENTIMENT_NEGATIVE_THRESHOLD": "-0.25"})

    assert (config["SENTIMENT_POSITIVE_THRESHOLD"], config["SENTIMENT_NEGATIVE_THRESHOLD"]) == (0.3, -0.25)


@pytest.mark.parametrize("environ, says", [
    ({"SENTIMENT_POSITIVE_THRESHOLD": "high"}, "SENTIMENT_POSITIVE_THRESHOLD must be"),
    ({"TRUSTED_PROXY_COUNT": "one"}, "TRUSTED_PROXY_COUNT must be"),
    ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT must be"),
])
def test_a_setting_that_is_not_a_number_says_what_to_set(environ, says):
    with pytest.raises(ConfigError, match=says):
        from_environ(environ)


def test_thresholds_the_wrong_way_round_refuse_to_start(tmp_path):
    with pytest.raises(ConfigError, match="must not be above"):
        create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path), "SENTIMENT_POSITIVE_THRESHOLD": -0.2,
                    "SENTIMENT_NEGATIVE_THRESHOLD": 0.2})


def test_behind_trusted_proxies_each_customer_is_limited_by_their_own_address(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path), "TRUSTED_PROXY_COUNT": 1,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    seen = []

    @app.get("/whoami")
    def whoami():
        from flask import request

        seen.append((request.remote_addr, request.scheme))
        return {}

    client = app.test_client()
    client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
    client.get("/whoami", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.8"})  # one hop trusted: the last

    assert seen == [("203.0.113.7", "https"), ("203.0.113.8", "http")]


def test_production_refuses_a_short_secret_key(monkeypatch, tmp_path, _clean_environment):
    monkeypatch.setenv("FEEDBACK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x")

    with pytest.raises(ConfigError, match="SECRET_KEY is 1 characters; production needs at least 32"):
        create_app({"SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path)})
