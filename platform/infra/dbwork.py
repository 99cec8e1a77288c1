"""Database work from async code (consumers), on a pool of threads of its own.

`database_sync_to_async` would otherwise run every database call of a process
on one shared thread: an unrelated read waited 0.97 s behind one send waiting
on a lock (DESIGN.md). Each thread keeps its own connection (CONN_MAX_AGE).

Every call has a deadline. A database that stops answering (a frozen host, a
partition that drops packets, a lock nobody releases) raises no error: the
call would wait for ever, and with it every later frame of that socket. Past
the deadline the caller gets `OperationalError`, which the consumer answers
with `unavailable` (the outcome is unknown; a retry with the same client_id
is safe). The thread itself cannot be interrupted: it finishes, or fails,
when the database answers or its connection breaks.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import OperationalError, connections

# Seconds a call may take, waiting for a free thread included. Under the 5 s
# in which a failed send must be answered `unavailable` (DESIGN.md).
DEFAULT_CALL_TIMEOUT = 4.0

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.VILLAGE_DB_THREADS, thread_name_prefix="village-db"
            )
        return _executor


def call_timeout() -> float:
    return float(getattr(settings, "VILLAGE_DB_CALL_TIMEOUT", DEFAULT_CALL_TIMEOUT))


class DatabaseTimeout(OperationalError):
    """The database did not answer a call from a socket in time."""


def in_db_thread(fn):
    """Wrap a synchronous service so that `await` runs it on a database thread.

    Raises `DatabaseTimeout` (an `OperationalError`) past `call_timeout()`.
    """
    call = database_sync_to_async(fn, thread_sensitive=False, executor=executor())

    @functools.wraps(fn)
    async def bounded(*args, **kwargs):
        timeout = call_timeout()
        try:
            async with asyncio.timeout(timeout) as deadline:
                return await call(*args, **kwargs)
        except TimeoutError:
            if not deadline.expired():
                raise  # a TimeoutError of the call itself, not the deadline
            raise DatabaseTimeout(
                f"The database did not answer {getattr(fn, '__name__', 'a call')} "
                f"within {timeout:g} s."
            ) from None

    return bounded


def close_db_thread_connections(timeout: float = 10) -> None:
    """Close the connection of every database thread (tests, shutdown).

    A barrier makes each of the pool's threads run exactly one close.
    """
    pool = executor()
    workers = pool._max_workers
    barrier = threading.Barrier(workers, timeout=timeout)

    def close() -> None:
        barrier.wait()
        connections.close_all()

    for future in [pool.submit(close) for _ in range(workers)]:
        future.result(timeout=timeout)
