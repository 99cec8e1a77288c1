"""Notices go out on a background thread after the commit, so a slow mail
server never delays a message or a page."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from django.db import connections, transaction

log = logging.getLogger("village.notifications")

_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="village-email")
_pending: set[Future] = set()
_pending_lock = threading.Lock()


def in_background(fn: Callable[..., Any], /, **kwargs: Any) -> None:
    """Run `fn(**kwargs)` on a notice thread now; a failure is logged, never raised."""

    def run():
        try:
            fn(**kwargs)
        except Exception:
            log.exception("a notification email failed")
        finally:
            # Emails are rare: a connection per email beats one idling per thread.
            connections.close_all()

    future = _executor.submit(run)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(lambda f: _discard(f))


def on_commit(fn: Callable[..., Any], /, **kwargs: Any) -> None:
    """After this transaction commits, run `fn(**kwargs)` in the background
    (nothing runs if it rolls back). Pass ids, not model instances: `fn` runs
    on another thread with its own database connection."""
    transaction.on_commit(lambda: in_background(fn, **kwargs))


def _discard(future: Future) -> None:
    with _pending_lock:
        _pending.discard(future)


def drain(timeout: float = 10) -> None:
    """Wait until queued notices are sent (tests, shutdown)."""
    with _pending_lock:
        pending = list(_pending)
    wait(pending, timeout=timeout)
