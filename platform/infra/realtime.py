"""The real-time plumbing every app shares: group names and safe broadcasts.

The channel layer is only a doorbell: a broadcast may be lost and clients
catch up from the database. So a broadcast is sent after the commit of what
it announces, is bounded by a timeout (a paused Redis must not freeze a
send), and a failure is logged, never raised into the action that caused it.

A service runs on a database thread of a socket's process; its broadcasts are
handed to that process's event loop and the service does not wait for them:
with Redis frozen, waiting out the timeout of every broadcast (two or three
for a flagged message) made each send take seconds and then be answered
`unavailable` although it was stored.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import uuid
import weakref
from typing import Any

import redis
from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from infra import ephemeral

log = logging.getLogger("village.realtime")


# --- Group names: one helper per kind, never built inline ------------------


def room_group(room_id: int) -> str:
    """Everyone with the room open; each socket filters what its person may see."""
    return f"room.{room_id}"


def user_group(user_id: int) -> str:
    """Every socket of one person: revocation, her room list, her held messages."""
    return f"user.{user_id}"


def login_session_group(session_key: str) -> str:
    """Every socket of one browser login (closed on logout)."""
    return f"login.{session_key}"


def coordinators_group() -> str:
    """Every socket of an on-duty coordinator (flags, escalations)."""
    return "coordinators"


# --- Sending ----------------------------------------------------------------


# After a failed broadcast, the next ones are skipped for this long (per event
# loop). channels_redis's pub/sub layer holds one lock per Redis connection
# while it waits for a PUBLISH to be answered, and a socket's handshake and
# joins need that lock to subscribe: with Redis frozen, broadcasts queued on it
# kept a reconnecting socket waiting about 9 s for its hello and joins.
LAYER_COOLDOWN = 1.0
_OUTAGE = (TimeoutError, OSError, redis.RedisError)  # the layer failing, not the event
_layer_down_until: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, float] = (
    weakref.WeakKeyDictionary()
)


# Each broadcast carries a unique id, so that the sockets of a process can
# share the work of encoding it (chat.consumers.encoded_once).
BROADCAST_ID = "broadcast_id"


async def send_to_group(group: str, event: dict[str, Any]) -> bool:
    """Send one event, giving up after VILLAGE_LAYER_TIMEOUT seconds; True if sent.

    Skipped at once while the layer failed within LAYER_COOLDOWN seconds or the
    shared Redis is known to be failing (see infra.ephemeral).
    """
    loop = asyncio.get_running_loop()
    now = loop.time()
    down_until = _layer_down_until.get(loop)
    if (down_until is not None and now < down_until) or ephemeral.redis_failing():
        log.warning(
            "broadcast of %s to %s skipped: the channel layer is failing",
            event.get("type"),
            group,
        )
        return False
    timeout = settings.VILLAGE_LAYER_TIMEOUT
    if down_until is not None:
        # The first try after a failure: the others skip until its outcome is known.
        _layer_down_until[loop] = now + timeout
    layer = get_channel_layer()
    event = {**event, BROADCAST_ID: uuid.uuid4().hex}
    try:
        await asyncio.wait_for(layer.group_send(group, event), timeout)
    except Exception as error:  # noqa: BLE001 - any layer failure is logged, never raised
        if isinstance(error, _OUTAGE):
            _layer_down_until[loop] = loop.time() + LAYER_COOLDOWN
        else:
            _layer_down_until.pop(loop, None)  # this event's own fault, not the layer's
        log.warning("broadcast of %s to %s failed", event.get("type"), group, exc_info=True)
        return False
    _layer_down_until.pop(loop, None)
    return True


class LayerUnavailable(Exception):
    """The channel layer could not subscribe a socket (Redis is down or frozen)."""


async def join_group(group: str, channel_name: str) -> None:
    """Subscribe a socket, bounded like a send; raises LayerUnavailable on failure."""
    try:
        await asyncio.wait_for(
            get_channel_layer().group_add(group, channel_name), settings.VILLAGE_LAYER_TIMEOUT
        )
    except _OUTAGE as error:
        log.warning("joining %s failed: %r", group, error)
        raise LayerUnavailable(group) from error


async def leave_group(group: str, channel_name: str) -> None:
    """Unsubscribe a socket, bounded like a send; a failure is logged, not raised.

    A socket that is closing must finish closing (and free its presence) even
    while Redis is down; the group forgets a dead subscriber on its own.
    """
    try:
        await asyncio.wait_for(
            get_channel_layer().group_discard(group, channel_name),
            settings.VILLAGE_LAYER_TIMEOUT,
        )
    except Exception:  # noqa: BLE001 - any layer failure is logged, never raised
        log.warning("leaving %s failed", group, exc_info=True)


# Broadcasts handed to an event loop and not finished yet (a task needs a reference).
_in_flight: set[concurrent.futures.Future] = set()


def _event_loop_of_this_thread() -> asyncio.AbstractEventLoop | None:
    """The running event loop that called into this thread (via sync_to_async), if any."""
    threadlocal = SyncToAsync.threadlocal
    if getattr(threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(threadlocal, "main_event_loop", None)
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


def broadcast(group: str, event: dict[str, Any]) -> None:
    """Send from synchronous code (a service, after its commit).

    On a thread serving an event loop (a socket's or an ASGI request's), the
    send is handed to that loop and this returns at once; elsewhere (a
    management command, the periodic jobs, a test) it waits for the send.
    """
    loop = _event_loop_of_this_thread()
    if loop is not None:
        try:
            future = asyncio.run_coroutine_threadsafe(send_to_group(group, event), loop)
        except RuntimeError:  # the loop closed meanwhile
            pass
        else:
            _in_flight.add(future)
            future.add_done_callback(_in_flight.discard)
            return
    async_to_sync(send_to_group)(group, event)


def broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send once the current transaction commits; nothing if it rolls back."""
    transaction.on_commit(lambda: broadcast(group, event))
