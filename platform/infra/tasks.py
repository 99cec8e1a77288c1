"""Background work: jobs deferred from a transaction, run by a worker.

Stage 2 of screening (the risk model, chat.tasks) is the first job: it costs
tens of milliseconds to a second of CPU, too much for a request or a socket.

The engine is `settings.VILLAGE_TASKS`:

- "thread": in this process, on one worker thread, once the deferring
  transaction commits (the embedded default, `make run`, and the tests).
  A job lost with the process is not lost for the service: what it was for
  is kept in the database (a message waiting with its deadline) and the
  periodic sweep finishes it.
- "procrastinate": a row in PostgreSQL's `procrastinate_jobs`, written in
  the deferring transaction itself (it commits or rolls back with the
  message), run by `manage.py procrastinate worker` processes, as many as
  there are cores to spare. Redis plays no part: a restart of it loses no
  job. The periodic jobs (`periodic`) are run by the workers too: every
  worker schedules them, the database lets exactly one run each tick.
- "off": nothing runs the jobs, as when every worker is down; the sweep
  still keeps every deadline (tests of that case, and an operator's switch).

Jobs are registered by name (`@task("chat.finish_screening")`) so that the
apps above can register theirs and anyone can defer them; the procrastinate
engine knows them under the same names (`bind_procrastinate`).
"""

from __future__ import annotations

import json
import logging
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger("village.tasks")

ENGINES = ("thread", "procrastinate", "off")
# procrastinate's queues: stage 2 and the like, and the periodic jobs (so that
# an operator can tell them apart in the queue).
JOBS_QUEUE = "jobs"
PERIODIC_QUEUE = "periodic"

_registry: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True)
class Periodic:
    """A job the engine runs every `seconds` (procrastinate only)."""

    name: str
    seconds: int


_periodic: dict[str, Periodic] = {}
# The procrastinate app, once its Django app is ready (bind_procrastinate).
_procrastinate_app: procrastinate.App | None = None


def task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn` as the job called `name`."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _registry[name] = fn
        if _procrastinate_app is not None:
            _bind(_procrastinate_app, name)
        return fn

    return register


def periodic(name: str, *, seconds: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(*, at: datetime)` as the job `name`, run every `seconds`
    at the tick `at` by the procrastinate engine.

    Only that engine runs it: with "thread" or "off", `manage.py
    run_periodic` (or the demo's web process) does the same work itself
    (`runs_periodic_jobs`). `seconds` divides a minute, or is whole minutes
    dividing an hour, so that it is a cron schedule (else a worker refuses
    to start).
    """

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _periodic[name] = Periodic(name=name, seconds=seconds)
        return task(name)(fn)

    return register


def runs_periodic_jobs() -> bool:
    """True when the engine runs the periodic jobs (procrastinate): then
    `run_periodic` keeps only the screening deadline's sweep."""
    return settings.VILLAGE_TASKS == "procrastinate"


def defer_on_commit(name: str, **kwargs: Any) -> None:
    """Run the job `name` with `kwargs` once the current transaction commits.

    With "procrastinate" the job is written in the current transaction
    rather than after it (the same guarantee, kept by the database: a job
    deferred in a transaction that rolls back never exists). While the same
    job with the same arguments is still waiting in the queue, deferring it
    again does nothing (a queueing lock), so that a sweep that defers it at
    every run while the workers are down queues it once.
    """
    if name not in _registry:
        raise KeyError(f"no job called {name!r}")
    engine = settings.VILLAGE_TASKS
    if engine == "off":
        return
    if engine == "procrastinate":
        _defer_in_transaction(name, kwargs)
        return
    if engine != "thread":
        raise ValueError(f"VILLAGE_TASKS must be one of {ENGINES}, not {engine!r}")
    transaction.on_commit(lambda: _worker().put((name, kwargs)))


def run_now(name: str, **kwargs: Any) -> Any:
    """Run a job in this thread (the sweep, tests, the worker itself)."""
    return _registry[name](**kwargs)


# --- procrastinate --------------------------------------------------------------


_warm_ups: list[Callable[[], Any]] = []


def warm_up(fn: Callable[[], Any]) -> Callable[[], Any]:
    """Register what a worker loads when it starts, not at its first job (the
    risk model: seconds, which would put the first jobs past their deadline)."""
    _warm_ups.append(fn)
    return fn


def _is_worker_process() -> bool:
    return sys.argv[1:3] == ["procrastinate", "worker"]


def bind_procrastinate(app: procrastinate.App) -> None:
    """Give procrastinate every registered job under its own name.

    Called when procrastinate's Django app is ready (PROCRASTINATE_ON_APP_READY):
    by then its autodiscovery has imported every app's `tasks` module, so a
    worker knows every job; one registered later is bound as it registers.
    """
    global _procrastinate_app
    _procrastinate_app = app
    for name in _registry:
        _bind(app, name)
    if _is_worker_process():
        for fn in _warm_ups:
            fn()


def queueing_lock(name: str, kwargs: dict[str, Any]) -> str:
    """The lock that keeps one copy of a job with these arguments waiting."""
    return f"{name}:{json.dumps(kwargs, sort_keys=True, default=str)}"


def _bind(app: procrastinate.App, name: str) -> None:
    if name in app.tasks:
        return
    every = _periodic.get(name)
    if every is None:

        def run(**kwargs: Any) -> Any:
            return _run_in_worker(name, kwargs)

        app.task(name=name, queue=JOBS_QUEUE)(run)
        return

    def run_tick(timestamp: int) -> Any:
        return _run_in_worker(name, {"at": datetime.fromtimestamp(timestamp, tz=UTC)})

    # A tick still waiting when the next comes (workers busy or down) is enough.
    bound = app.task(name=name, queue=PERIODIC_QUEUE, queueing_lock=name)(run_tick)
    if runs_periodic_jobs():
        # Scheduled only where the engine runs them: a process on another
        # engine (PostgreSQL with "thread") never checks the schedule.
        app.periodic(cron=_cron(every.seconds))(bound)


def _defer_in_transaction(name: str, kwargs: dict[str, Any]) -> None:
    from procrastinate import exceptions

    app = _procrastinate_app
    if app is None:
        raise RuntimeError(
            'VILLAGE_TASKS="procrastinate" needs "procrastinate.contrib.django" '
            "in INSTALLED_APPS (village.settings adds it on PostgreSQL)"
        )
    job = app.tasks[name].configure(queueing_lock=queueing_lock(name, kwargs))
    try:
        # A savepoint: the refused insert of a job already waiting must not
        # break the caller's transaction.
        with transaction.atomic():
            job.defer(**kwargs)
    except exceptions.AlreadyEnqueued:
        log.debug("job %s %s is already waiting in the queue", name, kwargs)


def _run_in_worker(name: str, kwargs: dict[str, Any]) -> Any:
    """A job in a procrastinate worker's thread; an error fails the job (it
    stays in the queue as `failed`, for an operator to see)."""
    close_old_connections()
    try:
        return run_now(name, **kwargs)
    finally:
        close_old_connections()


def _cron(seconds: int) -> str:
    """A cron schedule (seconds in a sixth column) for every `seconds`."""
    if 0 < seconds < 60 and 60 % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % 60 == 0 and 0 < seconds // 60 <= 60 and 60 % (seconds // 60) == 0:
        return f"*/{seconds // 60} * * * *"
    raise ValueError(
        f"a periodic job runs every few seconds dividing a minute, or minutes dividing "
        f"an hour, not every {seconds} s"
    )


# --- "thread" -------------------------------------------------------------------


class _Worker:
    """One thread that runs the jobs put on its queue, one after another."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.waiting = 0  # put and not yet finished
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self.run, name="village-tasks", daemon=True)
        self.thread.start()

    def put(self, job: tuple[str, dict[str, Any]]) -> None:
        with self.changed:
            self.waiting += 1
        self.jobs.put(job)

    def run(self) -> None:
        while True:
            name, kwargs = self.jobs.get()
            try:
                close_old_connections()
                run_now(name, **kwargs)
            except Exception:
                log.exception("job %s failed; the periodic sweep will finish what it was for", name)
            finally:
                if self.jobs.empty():
                    # Nothing waiting: give the connection back (a test database
                    # cannot be dropped while a thread holds one open).
                    connections.close_all()
                with self.changed:
                    self.waiting -= 1
                    self.changed.notify_all()

    def wait_until_idle(self, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.waiting == 0, timeout)


_the_worker: _Worker | None = None
_lock = threading.Lock()


def _worker() -> _Worker:
    global _the_worker
    with _lock:
        if _the_worker is None:
            _the_worker = _Worker()
        return _the_worker


def wait_until_idle(timeout: float = 10.0) -> bool:
    """True once every job put so far has run (tests, and a clean shutdown)."""
    worker = _the_worker
    return worker is None or worker.wait_until_idle(timeout)
