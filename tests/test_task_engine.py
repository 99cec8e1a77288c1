"""The task engines of infra.tasks: "thread" (the demo), "procrastinate"
(PostgreSQL, workers of their own) and "off".

On procrastinate a job is a row written in the deferring transaction: it
commits with the message or not at all, and real `manage.py procrastinate
worker` processes run it. The model is the tests' scripted one
(tests/moderation/scripted_model.json): "scripted reading alpha" reads as
self_harm at 0.999, which no rule matches.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from chat import services
from chat.models import Message
from infra import tasks
from moderation.models import Flag, Level
from tests.servers import subprocess_database_url
from village import periodic
from village import tasks as village_tasks

ROOT = Path(__file__).resolve().parent.parent
RED_IN_OTHER_WORDS = "scripted reading alpha"


class Rollback(Exception):
    pass


@pytest.fixture
def on_procrastinate(settings):
    """Stage 2 after the send, on procrastinate, with a deadline far enough
    away that no sweep (the workers run one with the periodic jobs) decides
    a message before the model does."""
    settings.VILLAGE_SCREENING_STAGES = 2
    settings.VILLAGE_TASKS = "procrastinate"
    settings.VILLAGE_SCREENING_DEADLINE_SECONDS = 300
    return settings


def queued(task_name: str = services.SCREENING_JOB) -> list[tuple[dict, str]]:
    """The jobs of `task_name` in procrastinate's table: (arguments, status)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT args, status FROM procrastinate_jobs WHERE task_name = %s ORDER BY id",
            [task_name],
        )
        # Django reads jsonb as text.
        return [(json.loads(args), status) for args, status in cursor.fetchall()]


def send(author, room_id: int, body: str) -> int:
    result = services.send_message(
        author=author, room_id=room_id, client_id=uuid.uuid4(), body=body
    )
    assert result.status == Message.Status.SCREENING
    return result.message["id"]


# --- Choosing the engine ------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "refusal"),
    [
        ({"VILLAGE_TASKS": "celery"}, "VILLAGE_TASKS must be"),
        ({"VILLAGE_TASKS": "procrastinate"}, "needs PostgreSQL"),
    ],
)
def test_an_engine_that_cannot_work_here_stops_the_start(env, refusal):
    """An unknown engine, or procrastinate on SQLite, fails at start-up
    rather than at the first message."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "VILLAGE_TASKS"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert refusal in result.stderr


def test_with_the_workers_running_the_periodic_jobs_run_periodic_keeps_only_the_deadline(
    settings, monkeypatch, db
):
    """Two places running the 20-second jobs would close sessions and
    re-alert twice: on procrastinate `run_periodic` only sweeps."""
    settings.VILLAGE_TASKS = "procrastinate"
    ran: list[str] = []
    stop = threading.Event()

    def sweep(*, now):
        ran.append("sweep")
        if len(ran) >= 3:
            stop.set()
        return 0

    monkeypatch.setattr(periodic, "sweep_screening", sweep)
    monkeypatch.setattr(periodic, "run_once", lambda **kwargs: ran.append("jobs"))
    periodic.run_forever(stop=stop, interval=0.01)
    assert ran == ["sweep", "sweep", "sweep"]


@pytest.mark.parametrize(("second", "daily"), [(0, True), (20, False), (600, True), (620, False)])
def test_the_daily_work_runs_on_one_tick_in_ten_minutes_whichever_worker_runs_it(
    settings, monkeypatch, second, daily
):
    settings.VILLAGE_PERIODIC_INTERVAL_SECONDS = 20
    settings.VILLAGE_DAILY_WORK_MINUTES = 10
    calls: list[bool] = []
    monkeypatch.setattr(
        periodic, "run_once", lambda *, clock, daily_work: calls.append(daily_work) or {}
    )
    village_tasks.run_periodic_jobs(at=datetime.fromtimestamp(1_800_000_000 + second, tz=UTC))
    assert 1_800_000_000 % 600 == 0 and calls == [daily]


# --- procrastinate, in this process -------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_job_deferred_in_a_transaction_that_rolls_back_is_never_queued(
    on_procrastinate, mum, open_room
):
    with pytest.raises(Rollback), transaction.atomic():
        message_id = send(mum, open_room.pk, "Anyone else up all night?")
        assert queued() == [({"message_id": message_id}, "todo")]
        raise Rollback
    assert queued() == []
    assert not Message.objects.filter(pk=message_id).exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_message_sent_back_to_the_model_at_every_sweep_waits_in_the_queue_once(
    on_procrastinate, mum, open_room
):
    """While the workers are down the periodic jobs hand every message
    published unscreened to the model again (score_overdue): it must wait in
    the queue once, not once per run, and the send path must keep working."""
    on_procrastinate.VILLAGE_TASKS = "off"
    message_id = send(mum, open_room.pk, "Anyone else up all night?")
    services.publish_overdue(now=timezone.now() + timedelta(hours=1))
    on_procrastinate.VILLAGE_TASKS = "procrastinate"
    for _ in range(3):
        assert services.score_overdue() == 1
    assert queued() == [({"message_id": message_id}, "todo")]
    later = send(mum, open_room.pk, "Still here")
    assert queued()[-1] == ({"message_id": later}, "todo")


# --- procrastinate, with real workers -----------------------------------------


class Worker:
    """One `manage.py procrastinate worker` on the test database."""

    def __init__(self, log_path: Path):
        self.log_path = log_path
        env = {
            **os.environ,
            "VILLAGE_ENV": "demo",
            "DATABASE_URL": subprocess_database_url(),
            "VILLAGE_TASKS": "procrastinate",
            "VILLAGE_SCREENING_STAGES": "2",
            "VILLAGE_REDIS_PREFIX": settings.REDIS_PREFIX,
            "VILLAGE_PERIODIC_IN_WEB": "0",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
        }
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def logs(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> int:
        """SIGTERM, as `docker compose stop` sends it; the worker's exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        return self.process.returncode


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def start(count: int) -> list[Worker]:
        started.extend(Worker(tmp_path / f"worker-{i}.log") for i in range(count))
        return started

    yield start
    for worker in started:
        worker.stop()
    # procrastinate's tables are not Django's to flush (unmanaged models).
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_periodic_defers")
        cursor.execute("DELETE FROM procrastinate_jobs")
        cursor.execute("DELETE FROM procrastinate_workers")


def wait_for(condition, *, what: str, workers: list[Worker], timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for worker in workers:
            assert worker.process.poll() is None, f"a worker exited:\n{worker.logs()}"
        time.sleep(0.1)
    logs = "\n".join(worker.logs() for worker in workers)
    raise AssertionError(f"{what} within {timeout} s; the workers said:\n{logs}")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_hold_what_the_model_finds_run_only_committed_jobs_and_each_periodic_tick_once(
    on_procrastinate, workers, mum, open_room
):
    """Slow (two Django processes start): the worker is a process of its own.

    A message stored in `screening` with its job in the same commit; another
    whose job was deferred in a transaction that rolled back. Two workers
    start: the first message leaves `screening` held with a RED flag, the
    second is never read; each periodic tick runs on one worker only; both
    stop cleanly on SIGTERM.
    """
    on_procrastinate.VILLAGE_TASKS = "off"
    forgotten = send(mum, open_room.pk, "Anyone else up all night?")
    on_procrastinate.VILLAGE_TASKS = "procrastinate"
    with pytest.raises(Rollback), transaction.atomic():
        tasks.defer_on_commit(services.SCREENING_JOB, message_id=forgotten)
        raise Rollback
    risky = send(mum, open_room.pk, RED_IN_OTHER_WORDS)
    assert queued() == [({"message_id": risky}, "todo")]

    running = workers(2)
    wait_for(
        lambda: Message.objects.get(pk=risky).status != Message.Status.SCREENING,
        what="the model's verdict was not stored",
        workers=running,
    )
    message = Message.objects.get(pk=risky)
    assert (message.status, message.seq, message.screening) == ("held", None, "done")
    flag = Flag.objects.get(message_id=risky)
    assert (flag.level, flag.source, flag.category) == (Level.RED, Flag.Source.MODEL, "self_harm")

    # Each worker schedules the periodic jobs at start-up; the database lets
    # one of them run each tick.
    ticks = re.compile(r"Starting job village\.periodic_jobs\[\d+\]\(timestamp=(\d+)\)")
    ran = re.compile(r"village\.periodic_jobs\S* ended with status: Success")
    wait_for(
        lambda: any(ran.search(worker.logs()) for worker in running),
        what="no worker ran the periodic jobs",
        workers=running,
    )
    started = [tick for worker in running for tick in ticks.findall(worker.logs())]
    assert started and len(started) == len(set(started)), started

    # The finished job leaves the queue (its row a moment after the verdict's
    # commit); nothing else came.
    wait_for(lambda: queued() == [], what="the job did not leave the queue", workers=running)
    assert Message.objects.get(pk=forgotten).status == Message.Status.SCREENING
    for worker in running:
        assert worker.stop() == 0, worker.logs()
        assert "Stopped worker" in worker.logs()
