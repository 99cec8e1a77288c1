"""Who is online in a room: one entry per socket, shared across processes.

Each socket refreshes its entries every REFRESH_EVERY seconds; an entry not
refreshed within PRESENCE_TTL seconds (its process died) no longer counts.
A person who chose to appear offline has no entry at all.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import time
import weakref
from collections import defaultdict
from typing import Any

import redis

from infra import realtime
from infra.ephemeral import RedisUnavailable, get_redis, key

log = logging.getLogger("village.chat")

PRESENCE_TTL = 90
REFRESH_EVERY = 30
# Joins and leaves in a room within this many seconds share one announcement.
ANNOUNCE_WITHIN = 0.5

_local: dict[int, dict[str, float]] = defaultdict(dict)
_local_lock = threading.Lock()


def _room_key(room_id: int) -> str:
    return key("presence", room_id)


def _user_key(user_id: int) -> str:
    return key("connected", user_id)


def entry(*, socket: str, person: dict[str, Any]) -> str:
    """The stored form of one socket's presence (the same string enters and leaves)."""
    return json.dumps({"socket": socket, "person": person}, sort_keys=True)


def _tolerant(default):
    """Presence is a nicety: a Redis failure is logged and never breaks a chat."""

    def wrap(fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except redis.RedisError as error:
                # While Redis is known to be failing, one line is enough.
                known = isinstance(error, RedisUnavailable)
                log.warning("presence unavailable: %s", error, exc_info=not known)
                return default

        return call

    return wrap


@_tolerant(None)
def _store(redis_key: str, local_key: int, entry: str) -> None:
    now = time.time()
    client = get_redis()
    if client is not None:
        pipe = client.pipeline()
        pipe.zadd(redis_key, {entry: now})
        pipe.expire(redis_key, PRESENCE_TTL * 2)
        pipe.execute()
        return
    with _local_lock:
        _local[local_key][entry] = now


@_tolerant(None)
def _remove(redis_key: str, local_key: int, entry: str) -> None:
    client = get_redis()
    if client is not None:
        client.zrem(redis_key, entry)
        return
    with _local_lock:
        _local[local_key].pop(entry, None)


def enter(*, room_id: int, entry: str) -> None:
    """Mark a socket's person online in the room (also how a socket refreshes)."""
    _store(_room_key(room_id), room_id, entry)


def leave(*, room_id: int, entry: str) -> None:
    _remove(_room_key(room_id), room_id, entry)


@_tolerant([])
def online(*, room_id: int) -> list[dict[str, Any]]:
    """The people online in the room, once each, by display name."""
    cutoff = time.time() - PRESENCE_TTL
    client = get_redis()
    if client is not None:
        client.zremrangebyscore(_room_key(room_id), "-inf", cutoff)
        entries = [e.decode() for e in client.zrange(_room_key(room_id), 0, -1)]
    else:
        with _local_lock:
            stored = _local[room_id]
            for stale in [e for e, seen in stored.items() if seen < cutoff]:
                del stored[stale]
            entries = list(stored)
    people = {p["id"]: p for p in (json.loads(e)["person"] for e in entries)}
    return sorted(people.values(), key=lambda p: (p["display_name"].lower(), p["id"]))


# Whether a person has any live socket at all (for notifications): the same
# mechanism, keyed by person; local entries live under negative ids.


def connect(*, user_id: int, socket: str) -> None:
    _store(_user_key(user_id), -user_id, socket)


def disconnect(*, user_id: int, socket: str) -> None:
    _remove(_user_key(user_id), -user_id, socket)


@_tolerant(0)
def connected_sockets(*, user_id: int) -> int:
    """How many live sockets the person has, across processes."""
    cutoff = time.time() - PRESENCE_TTL
    client = get_redis()
    if client is not None:
        return int(client.zcount(_user_key(user_id), cutoff, "+inf"))
    with _local_lock:
        return sum(1 for seen in _local[-user_id].values() if seen >= cutoff)


@_tolerant(False)
def is_connected(*, user_id: int) -> bool:
    cutoff = time.time() - PRESENCE_TTL
    client = get_redis()
    if client is not None:
        return bool(client.zcount(_user_key(user_id), cutoff, "+inf"))
    with _local_lock:
        return any(seen >= cutoff for seen in _local[-user_id].values())


def reset_local() -> None:
    with _local_lock:
        _local.clear()


# --- announcing --------------------------------------------------------------

# Rooms with an announcement already scheduled, per event loop.
_scheduled: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[int]] = (
    weakref.WeakKeyDictionary()
)
_announcing: set[asyncio.Task] = set()  # a running task needs a reference


def announce_soon(room_id: int) -> None:
    """Tell the room who is online, once for every join and leave of the next moment.

    Each announcement goes to everyone in the room with everyone online in
    it: announcing each join at once made a reconnect storm cost the square
    of the room's size (50 people back in a room of 50: 2,500 frames of 50
    names each). Coalesced, it costs one frame per person per moment.
    """
    loop = asyncio.get_running_loop()
    scheduled = _scheduled.setdefault(loop, set())
    if room_id in scheduled:
        return
    scheduled.add(room_id)
    task = loop.create_task(_announce_later(room_id, scheduled))
    _announcing.add(task)
    task.add_done_callback(_announcing.discard)


async def _announce_later(room_id: int, scheduled: set[int]) -> None:
    await asyncio.sleep(ANNOUNCE_WITHIN)
    scheduled.discard(room_id)  # changes from now on get their own announcement
    people = await asyncio.to_thread(online, room_id=room_id)
    await realtime.send_to_group(
        realtime.room_group(room_id), {"type": "chat.presence", "room": room_id, "online": people}
    )
