"""Where short-lived shared state lives: Redis when REDIS_URL is set.

Rate limits and presence must hold across processes, so with Redis they live
there (under VILLAGE_REDIS_PREFIX); the one-process demo keeps them in memory.

Both are niceties that fail open, and they are asked inside a send (the rate
limit even while the room's row is locked). So a Redis that stops answering
must cost little: each command waits at most COMMAND_TIMEOUT seconds, and
after a failure the client fails at once for COOLDOWN seconds (a circuit
breaker) instead of making every send wait for the timeout again. Measured
before (tests/chat/test_redis_faults.py): with Redis frozen (SIGSTOP), a send
spent 2 s in each of the two rate-limit calls (and 2 s more in its broadcast),
was answered `unavailable` after 4 s although it was stored, and the socket's
next sends waited behind it until Redis came back (10 s for a 10 s freeze).
"""

from __future__ import annotations

import functools
import threading
import time

import redis
from django.conf import settings

COMMAND_TIMEOUT = 0.5  # seconds; a rate-limit or presence command takes microseconds
COOLDOWN = 1.0  # seconds of failing fast after a failure, before trying Redis again


class RedisUnavailable(redis.ConnectionError):
    """Redis failed a moment ago: not tried again until the cooldown has passed."""


class _Breaker:
    """Fail fast for COOLDOWN seconds after a failure; then let one call try."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refuse_until = 0.0  # monotonic time before which calls fail at once
        self.failed_at: float | None = None

    def check(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now < self._refuse_until:
                raise RedisUnavailable(
                    f"Redis failed {now - (self.failed_at or now):.1f} s ago; not tried again yet"
                )
            if self.failed_at is not None:
                # This call is the probe: the others keep failing fast meanwhile.
                self._refuse_until = now + COMMAND_TIMEOUT + COOLDOWN

    def is_open(self) -> bool:
        """True while calls fail at once (without claiming a probe)."""
        return self.failed_at is not None and time.monotonic() < self._refuse_until

    def failed(self) -> None:
        with self._lock:
            now = time.monotonic()
            self.failed_at = now
            self._refuse_until = now + COOLDOWN

    def succeeded(self) -> None:
        if self.failed_at is None:
            return
        with self._lock:
            self.failed_at = None
            self._refuse_until = 0.0


_FAILURES = (redis.ConnectionError, redis.TimeoutError)


class _GuardedConnection:
    """Tells its pool's breaker how each exchange with Redis went (a mixin)."""

    breaker: _Breaker

    def connect(self, *args, **kwargs):
        try:
            return super().connect(*args, **kwargs)
        except _FAILURES:
            self.breaker.failed()
            raise

    def send_packed_command(self, *args, **kwargs):
        try:
            return super().send_packed_command(*args, **kwargs)
        except _FAILURES:
            self.breaker.failed()
            raise

    def read_response(self, *args, **kwargs):
        try:
            response = super().read_response(*args, **kwargs)
        except _FAILURES:
            self.breaker.failed()
            raise
        self.breaker.succeeded()
        return response


class _GuardedPool(redis.ConnectionPool):
    breaker: _Breaker

    def get_connection(self, *args, **kwargs):
        self.breaker.check()
        return super().get_connection(*args, **kwargs)


@functools.cache
def _pool(url: str) -> redis.ConnectionPool:
    timeout = min(settings.VILLAGE_LAYER_TIMEOUT, COMMAND_TIMEOUT)
    pool = _GuardedPool.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    pool.breaker = breaker = _Breaker()
    base = pool.connection_class  # chosen from the URL: TCP, TLS or a Unix socket
    pool.connection_class = type(
        f"Guarded{base.__name__}", (_GuardedConnection, base), {"breaker": breaker}
    )
    return pool


def get_redis() -> redis.Redis | None:
    """A client for the shared Redis, or None on the in-memory demo."""
    if not settings.REDIS_URL:
        return None
    return redis.Redis(connection_pool=_pool(settings.REDIS_URL))


def redis_failing() -> bool:
    """True while the shared Redis failed a moment ago (other callers may skip it too)."""
    if not settings.REDIS_URL:
        return False
    return _pool(settings.REDIS_URL).breaker.is_open()


def key(*parts: object) -> str:
    return ":".join([settings.REDIS_PREFIX, *map(str, parts)])
