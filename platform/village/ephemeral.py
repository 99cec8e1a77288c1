"""Where short-lived shared state lives: Redis when REDIS_URL is set.

Rate limits and presence must hold across processes, so with Redis they live
there (under VILLAGE_REDIS_PREFIX); the one-process demo keeps them in memory.
"""

from __future__ import annotations

import functools

import redis
from django.conf import settings


@functools.cache
def _pool(url: str) -> redis.ConnectionPool:
    return redis.ConnectionPool.from_url(
        url, socket_timeout=settings.VILLAGE_LAYER_TIMEOUT, socket_connect_timeout=2
    )


def get_redis() -> redis.Redis | None:
    """A client for the shared Redis, or None on the in-memory demo."""
    if not settings.REDIS_URL:
        return None
    return redis.Redis(connection_pool=_pool(settings.REDIS_URL))


def key(*parts: object) -> str:
    return ":".join([settings.REDIS_PREFIX, *map(str, parts)])
