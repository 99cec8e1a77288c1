"""Background work: jobs deferred from a transaction, run by a worker.

Stage 2 of screening (the risk model, chat.tasks) is the first job: it costs
tens of milliseconds to a second of CPU, too much for a request or a socket.

The engine is `settings.VILLAGE_TASKS`:

- "thread": in this process, on one worker thread, once the deferring
  transaction commits (the embedded default, `make run`, and the tests).
  A job lost with the process is not lost for the service: what it was for
  is kept in the database (a message waiting with its deadline) and the
  periodic sweep finishes it.
- "off": nothing runs the jobs, as when every worker is down; the sweep
  still keeps every deadline (tests of that case, and an operator's switch).

Jobs are registered by name (`@task("chat.finish_screening")`) so that the
apps above can register theirs and anyone can defer them.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction

log = logging.getLogger("village.tasks")

ENGINES = ("thread", "off")

_registry: dict[str, Callable[..., Any]] = {}


def task(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn` as the job called `name`."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        _registry[name] = fn
        return fn

    return register


def defer_on_commit(name: str, **kwargs: Any) -> None:
    """Run the job `name` with `kwargs` once the current transaction commits."""
    if name not in _registry:
        raise KeyError(f"no job called {name!r}")
    engine = settings.VILLAGE_TASKS
    if engine == "off":
        return
    if engine != "thread":
        raise ValueError(f"VILLAGE_TASKS must be one of {ENGINES}, not {engine!r}")
    transaction.on_commit(lambda: _worker().put((name, kwargs)))


def run_now(name: str, **kwargs: Any) -> Any:
    """Run a job in this thread (the sweep, tests, the worker itself)."""
    return _registry[name](**kwargs)


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
