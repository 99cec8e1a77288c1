"""Database work from async code (consumers), on a pool of threads of its own.

`database_sync_to_async` would otherwise run every database call of a process
on one shared thread: an unrelated read waited 0.97 s behind one send waiting
on a lock (DESIGN.md). Each thread keeps its own connection (CONN_MAX_AGE).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connections

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


def in_db_thread(fn):
    """Wrap a synchronous service so that `await` runs it on a database thread."""
    return database_sync_to_async(fn, thread_sensitive=False, executor=executor())


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
