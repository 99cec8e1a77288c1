"""The demo accounts run a session over real sockets against a real daphne."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from bench.demo_session import run_session
from tests.servers import ROOT, DaphneServer, subprocess_database_url

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_accounts_run_a_group_session_over_real_sockets(tmp_path, settings):
    env = {**os.environ, "DATABASE_URL": subprocess_database_url(), "VILLAGE_ENV": "demo"}
    env.pop("REDIS_URL", None)  # seeding needs no broadcast
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--password", "demo-password-1"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    server = DaphneServer(mail_dir=tmp_path, log_path=tmp_path / "daphne.log").start()
    try:
        seen = asyncio.run(run_session(server.url, "demo-password-1"))
    finally:
        server.stop()
    expected = {
        "Val: Welcome back, everyone. How are you both doing tonight?",
        "Amy: Better than last week. The baby slept four hours straight!",
        "Beth: That's brilliant, Amy. I'm hanging in there.",
    }
    for name, lines in seen.items():
        mine = {line for line in expected if line.startswith(f"{name}:")}
        assert set(lines) == expected - mine, name
    assert "Exception inside application" not in server.logs()
