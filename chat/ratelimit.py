"""Per-person send limit: a sliding window, in Redis across processes."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

import redis
from django.conf import settings

from infra.ephemeral import RedisUnavailable, get_redis, key

log = logging.getLogger("village.chat")

# Atomically: drop hits older than the window; if under the limit, record this
# one; return the count before and the oldest hit (for retry_after).
_SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return {1, '0'}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, oldest[2]}
"""

_local_hits: dict[int, deque[float]] = defaultdict(deque)
_local_lock = threading.Lock()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0


def _wait(seconds: float) -> float:
    """Seconds to wait, rounded up to a tenth and never zero (a retry at 0 would fail)."""
    return max(0.1, math.ceil(seconds * 10) / 10)


def take_send_slot(*, user_id: int, token: str, now: float | None = None) -> Decision:
    """Count one new message by `user_id` unless she is over the limit.

    `token` identifies the attempt (its client_id) so that two attempts in
    the same instant are both counted.
    """
    limit = settings.VILLAGE_SEND_RATE_COUNT
    window = float(settings.VILLAGE_SEND_RATE_SECONDS)
    now = time.time() if now is None else now
    client = get_redis()
    if client is not None:
        try:
            allowed, oldest = client.eval(
                _SLIDING_WINDOW, 1, key("rate", "send", user_id), now, window, limit, token
            )
        except redis.RedisError as error:
            return _fail_open(error)
        if allowed:
            return Decision(True)
        return Decision(False, retry_after=_wait(float(oldest) + window - now))
    with _local_lock:
        hits = _local_hits[user_id]
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) < limit:
            hits.append(now)
            return Decision(True)
        return Decision(False, retry_after=_wait(hits[0] + window - now))


def _fail_open(error: redis.RedisError) -> Decision:
    """Allow the send: a Redis outage must not stop a mum reaching her group."""
    log.warning(
        "send rate limit unavailable: %s",
        error,
        exc_info=not isinstance(error, RedisUnavailable),  # the breaker's error says enough
    )
    return Decision(True)


def over_limit(*, user_id: int, now: float | None = None) -> Decision:
    """A read-only look: is she over the limit already? (No slot is taken.)

    Lets a flood be turned away before it touches the database.
    """
    limit = settings.VILLAGE_SEND_RATE_COUNT
    window = float(settings.VILLAGE_SEND_RATE_SECONDS)
    now = time.time() if now is None else now
    client = get_redis()
    if client is not None:
        try:
            # Only the limit-th newest hit in the window matters (if there is one).
            nth_newest = client.zrevrangebyscore(
                key("rate", "send", user_id),
                "+inf",
                now - window,
                start=limit - 1,
                num=1,
                withscores=True,
            )
        except redis.RedisError as error:
            return _fail_open(error)
        if not nth_newest:
            return Decision(True)
        return Decision(False, retry_after=_wait(nth_newest[0][1] + window - now))
    with _local_lock:
        hits = [t for t in _local_hits[user_id] if t > now - window]
    if len(hits) < limit:
        return Decision(True)
    return Decision(False, retry_after=_wait(hits[-limit] + window - now))


def reset_local() -> None:
    """Forget in-memory counts (tests; the demo restarts empty anyway)."""
    with _local_lock:
        _local_hits.clear()
