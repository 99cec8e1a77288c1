"""Health endpoints: liveness never touches the database; readiness names what is down."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client, override_settings

from village import health

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db

REDIS_WHEN_UP = "ok" if settings.REDIS_URL else "not used"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once it is closed


def fail_new_connections(monkeypatch) -> None:
    """New database connections fail as they do when the server is unreachable."""

    def refuse(self, conn_params):
        raise self.Database.OperationalError("connection refused (simulated)")

    monkeypatch.setattr(type(connections["default"]), "get_new_connection", refuse)


def timed_get(client, url):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


def test_liveness_is_200_and_never_touches_the_database(
    client, monkeypatch, django_assert_num_queries
):
    fail_new_connections(monkeypatch)
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def backends(response) -> dict:
    """The backends' part of a readiness answer (screening has its own tests)."""
    return {key: response.json()[key] for key in ("database", "redis")}


SCREENING_UP_TO_DATE = {"state": "ok", "waiting": 0, "past_deadline": 0, "published_unscreened": 0}


def test_readiness_is_200_with_plain_json_and_no_caching(client, db):
    response, took = timed_get(client, "/healthz/ready")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "database": "ok",
        "redis": REDIS_WHEN_UP,
        "screening": SCREENING_UP_TO_DATE,
    }
    assert "no-store" in response["Cache-Control"]
    assert client.post("/healthz/ready").status_code == 405
    print(f"\nreadiness: 200 in {took * 1000:.0f} ms")


@pytest.mark.django_db(transaction=True)
async def test_readiness_through_the_asgi_handler(async_client):
    response = await async_client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "redis": REDIS_WHEN_UP,
        "screening": SCREENING_UP_TO_DATE,
    }


def test_readiness_is_503_while_the_database_is_unreachable_and_200_after(client, monkeypatch):
    with monkeypatch.context() as patch:
        fail_new_connections(patch)
        down, took = timed_get(client, "/healthz/ready")
        assert down.status_code == 503
        assert down.json() == {"database": "unavailable", "redis": REDIS_WHEN_UP}
        # Liveness stays up: a database outage must not get the process restarted.
        assert client.get("/healthz/live").status_code == 200
    up = client.get("/healthz/ready")
    assert up.status_code == 200 and up.json()["database"] == "ok"
    print(f"\nreadiness: 503 for the database in {took * 1000:.0f} ms, then 200")


def test_readiness_is_503_while_redis_is_unreachable_and_200_after(client, settings):
    real = settings.REDIS_URL
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    down, took = timed_get(client, "/healthz/ready")
    assert down.status_code == 503
    assert backends(down) == {"database": "ok", "redis": "unavailable"}
    assert took < health.CHECK_TIMEOUT + 1
    settings.REDIS_URL = real
    up = client.get("/healthz/ready")
    assert up.status_code == 200 and backends(up) == {"database": "ok", "redis": REDIS_WHEN_UP}
    print(f"\nreadiness: 503 for Redis in {took * 1000:.0f} ms, then 200")


def test_readiness_answers_within_the_timeout_when_backends_hang(client, settings, monkeypatch):
    """A Redis that accepts but never answers, a database call that never returns."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    settings.REDIS_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    release = threading.Event()
    monkeypatch.setattr(health, "query_database", lambda: release.wait(10))
    try:
        down, took = timed_get(client, "/healthz/ready")
    finally:
        release.set()
        silent.close()
    assert down.status_code == 503
    assert down.json() == {"database": "unavailable", "redis": "unavailable"}
    assert took < health.CHECK_TIMEOUT + 1.5, took
    print(f"\nreadiness: 503 with both backends hanging in {took:.2f} s")


def test_ssl_redirect_exemption_lets_plain_http_probes_through():
    """What production needs: SECURE_REDIRECT_EXEMPT = [r"^healthz/"].

    (SecurityMiddleware reads these settings when it is loaded: a new Client each time.)
    """
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[]):
        assert Client().get("/healthz/live").status_code == 301
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^healthz/"]):
        client = Client()
        assert client.get("/healthz/live").status_code == 200
        assert client.get("/healthz/ready").status_code == 200


def test_production_settings_exempt_health_checks_from_the_ssl_redirect():
    env = {
        "PATH": "/usr/bin:/bin",
        "VILLAGE_ENV": "production",
        "DJANGO_SECRET_KEY": "x" * 20 + "abcdefghijklmnopqrstuvwxyz0123456789",
        "DJANGO_ALLOWED_HOSTS": "village.example.org",
        "DATABASE_URL": "postgres://village@127.0.0.1:5432/village",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "EMAIL_URL": "smtp+tls://user:pass@mail.example.org:587",
    }
    probe = (
        "import re; from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT and any(re.search(p, 'healthz/ready') "
        "for p in s.SECURE_REDIRECT_EXEMPT))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
