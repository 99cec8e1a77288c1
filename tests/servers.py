"""Real daphne processes for tests where the server itself matters.

A server is given the test database's real name, so it sees what a
`transaction=True` test has committed, and writes email to files that a
test can read (to follow a verification link).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def subprocess_database_url() -> str:
    """A DATABASE_URL naming the database this test run really uses."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def documented_daphne_options() -> list[str]:
    """daphne's options in the Dockerfile's CMD, without the address, port and app."""
    line = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")
    )
    command = json.loads(line.removeprefix("CMD "))
    assert command[0] == "daphne" and command[-1] == "village.asgi:application", command
    options, rest = [], iter(command[1:-1])
    for option in rest:
        if option in {"-b", "-p", "--bind", "--port"}:
            next(rest)  # the test server picks its own
        else:
            options.append(option)
    return options


def wait_until_listening(
    process: subprocess.Popen, port: int, log_path: Path, timeout: float = 30
) -> None:
    """Return once `port` accepts connections; RuntimeError (with the log) if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log_path.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server did not listen within {timeout} s:\n{log_path.read_text()}")


class DaphneServer:
    """One daphne process on a free port, on the test database and Redis prefix."""

    def __init__(
        self,
        *,
        mail_dir: Path,
        log_path: Path,
        extra_env: dict | None = None,
        daphne_options: list[str] | None = None,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mail_dir = mail_dir
        self.log_path = log_path
        self.extra_env = extra_env or {}
        # Options as a deployment passes them (tests.servers.documented_daphne_options).
        self.daphne_options = daphne_options or []
        self.process: subprocess.Popen | None = None

    def start(self) -> DaphneServer:
        env = {
            **os.environ,
            "VILLAGE_ENV": "demo",
            "DATABASE_URL": subprocess_database_url(),
            "VILLAGE_EMAIL_FILE_PATH": str(self.mail_dir),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "VILLAGE_REDIS_PREFIX": settings.REDIS_PREFIX,
            "VILLAGE_PERIODIC_IN_WEB": "0",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
        }
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
        else:
            env.pop("REDIS_URL", None)
        env.update(self.extra_env)  # a test's own settings win (its own Redis, say)
        # free_port() lets the port go before daphne takes it; with several
        # test workers another process may take it first: then try another.
        for attempt in range(3):
            try:
                return self._start_once(env)
            except RuntimeError as error:
                if attempt == 2 or "Address already in use" not in str(error):
                    raise
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        raise AssertionError("unreachable")

    def _start_once(self, env: dict) -> DaphneServer:
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                *self.daphne_options,
                "village.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_listening(self.process, self.port, self.log_path)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if getattr(self, "log", None):
            self.log.close()

    def logs(self) -> str:
        return self.log_path.read_text()

    def emails(self, *, to: str) -> list[str]:
        """The emails this server has written to `to`, oldest first."""
        files = sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime)
        texts = (f.read_text() for f in files)
        return [t for t in texts if any(line == f"To: {to}" for line in t.splitlines())]
