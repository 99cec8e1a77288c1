"""Settings come from the environment; production refuses to start unsafe."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "from django.conf import settings as s; print(s.VILLAGE_ENV, s.DEBUG,"
    " s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'],"
    " s.VILLAGE_PERIODIC_IN_WEB)"
)

PRODUCTION = {
    "VILLAGE_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "village.example.org",
    "DATABASE_URL": "postgres://village@127.0.0.1:5432/village",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://user:pass@mail.example.org:587",
}
VILLAGE_VARIABLES = {
    "VILLAGE_ENV",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "DJANGO_SETTINGS_MODULE",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in VILLAGE_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_nothing_set_means_demo_with_sqlite_and_in_memory_layer():
    result = manage("shell", "-v", "0", "-c", PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "demo",
        "True",
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "True",  # the one-process demo runs the periodic jobs itself
    ]


def test_database_and_redis_urls_alone_do_not_switch_to_production():
    result = manage(
        "shell",
        "-v",
        "0",
        "-c",
        PROBE,
        DATABASE_URL="postgres://village@127.0.0.1:5432/village",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "demo",
        "True",
        "django.db.backends.postgresql",
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        "False",  # with Redis, `run_periodic` is its own process
    ]


def test_production_without_secret_key_refuses_to_start():
    env = {**PRODUCTION}
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_with_the_demo_style_insecure_key_refuses_to_start():
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": "django-insecure-" + "x" * 50})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_with_sqlite_refuses_to_start():
    result = manage("check", **{**PRODUCTION, "DATABASE_URL": "sqlite:////tmp/village.sqlite3"})
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


def test_production_without_database_or_redis_refuses_to_start():
    for missing in ("DATABASE_URL", "REDIS_URL"):
        env = {k: v for k, v in PRODUCTION.items() if k != missing}
        result = manage("check", **env)
        assert result.returncode != 0, missing
        assert missing in result.stderr


def test_unknown_village_env_is_refused():
    result = manage("check", VILLAGE_ENV="staging")
    assert result.returncode != 0
    assert "VILLAGE_ENV" in result.stderr


def test_production_passes_check_deploy_with_no_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_headers_include_hsts_csp_frame_and_referrer_policy():
    # The manifest storage needs collectstatic; plain storage is enough for headers.
    script = (
        "from django.test.utils import override_settings;"
        "override_settings(STORAGES={'staticfiles': {'BACKEND':"
        " 'django.contrib.staticfiles.storage.StaticFilesStorage'}}).enable();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='village.example.org').get('/no-such-page/', secure=True);"
        "print(r.status_code);"
        "[print(h, '=', r.headers.get(h)) for h in ('Strict-Transport-Security',"
        " 'Content-Security-Policy', 'X-Frame-Options', 'Referrer-Policy')]"
    )
    result = manage("shell", "-v", "0", "-c", script, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "404"  # a page that needs no database: the headers are the point
    headers = dict(line.split(" = ", 1) for line in lines[1:])
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
