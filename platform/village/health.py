"""Health endpoints for load balancers and orchestrators.

`GET /healthz/live`: 200 whenever the process answers HTTP. It touches neither
the database nor Redis, so a database outage never gets Village restarted.

`GET /healthz/ready`: 200 `{"database": "ok", "redis": "ok" | "not used",
"screening": {"state": "ok" | "behind", ...}}` when
the database answers `SELECT 1` on a new connection and Redis (when
`REDIS_URL` is set) answers PING; otherwise 503 with the failing part set to
`"unavailable"`. The checks run concurrently and each is given
`CHECK_TIMEOUT` seconds, so the endpoint answers within about that time even
when a backend hangs. The reason for a failure is logged, never returned.

Both are plain JSON, need no login, carry no personal data and are never
cached. Behind the TLS proxy in production, `healthz/` must be listed in
`SECURE_REDIRECT_EXEMPT`, or probes over plain HTTP are redirected (301).
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import load_backend
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

log = logging.getLogger("village.health")

CHECK_TIMEOUT = 2.0  # seconds per check

# One thread for the database check: a probe stuck in a hung database call can
# hold at most this one thread, and later probes then time out (503) rather
# than piling up threads.
_db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="village-health")


@never_cache
@require_safe
async def live(request):
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
async def ready(request):
    database, redis = await asyncio.gather(database_state(), redis_state())
    healthy = database == "ok" and redis in {"ok", "not used"}
    answer: dict = {"database": database, "redis": redis}
    if database == "ok":
        # Workers behind do not make this process unready (it still serves
        # and screens with the rules), but operators see it here.
        answer["screening"] = await screening_state()
    return JsonResponse(answer, status=200 if healthy else 503)


async def screening_state() -> dict:
    """ "ok", or "behind" when messages wait past their deadline or went out
    unscreened (chat.services.screening_backlog), with the counts."""
    loop = asyncio.get_running_loop()
    try:
        backlog = await asyncio.wait_for(
            loop.run_in_executor(_db_executor, _screening_backlog), timeout=CHECK_TIMEOUT
        )
    except Exception as error:
        log.warning("readiness: screening backlog unknown: %s", _describe(error))
        return {"state": "unknown"}
    behind = backlog["past_deadline"] + backlog["published_unscreened"]
    return {"state": "behind" if behind else "ok", **backlog}


def _screening_backlog() -> dict[str, int]:
    from chat.services import screening_backlog

    try:
        return screening_backlog(now=timezone.now())
    finally:
        # This thread's own connection, closed like the probe's.
        connections.close_all()


async def database_state() -> str:
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(
            loop.run_in_executor(_db_executor, query_database), timeout=CHECK_TIMEOUT
        )
    except Exception as error:  # any failure means "not ready"
        log.warning("readiness: database unavailable: %s", _describe(error))
        return "unavailable"
    return "ok"


async def redis_state() -> str:
    url = settings.REDIS_URL
    if not url:
        return "not used"
    try:
        await asyncio.wait_for(ping_redis(url), timeout=CHECK_TIMEOUT)
    except Exception as error:
        log.warning("readiness: redis unavailable: %s", _describe(error))
        return "unavailable"
    return "ok"


def query_database() -> None:
    """`SELECT 1` on a connection of its own, opened and closed for this probe.

    A new connection rather than a kept one: readiness means Village can reach
    the database now (a database refusing new connections is not ready, even
    if old connections live on). The connection gets short network timeouts
    so that this thread is not held for minutes by an unreachable host.
    """
    base = connections[DEFAULT_DB_ALIAS].settings_dict
    db = {**base, "OPTIONS": dict(base.get("OPTIONS") or {})}
    db["OPTIONS"].pop("pool", None)  # one plain connection, not a pool per probe
    if db["ENGINE"] == "django.db.backends.postgresql":
        seconds = max(2, int(CHECK_TIMEOUT))
        db["OPTIONS"].setdefault("connect_timeout", seconds)
        db["OPTIONS"].setdefault("tcp_user_timeout", seconds * 1000)
    wrapper = load_backend(db["ENGINE"]).DatabaseWrapper(db, DEFAULT_DB_ALIAS)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        wrapper.close()


async def ping_redis(url: str) -> None:
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    client = Redis.from_url(
        url,
        socket_connect_timeout=CHECK_TIMEOUT,
        socket_timeout=CHECK_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        await client.ping()
    finally:
        await client.aclose()


# Included by village.urls under `healthz/`.
urlpatterns = [
    path("live", live, name="healthz_live"),
    path("ready", ready, name="healthz_ready"),
]


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT:g} s"
    return f"{type(error).__name__}: {error}".strip()
