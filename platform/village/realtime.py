"""The real-time plumbing every app shares: group names and safe broadcasts.

The channel layer is only a doorbell: a broadcast may be lost and clients
catch up from the database. So a broadcast is sent after the commit of what
it announces, is bounded by a timeout (a paused Redis must not freeze a
send), and a failure is logged, never raised into the action that caused it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

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


async def send_to_group(group: str, event: dict[str, Any]) -> bool:
    """Send one event, giving up after VILLAGE_LAYER_TIMEOUT seconds; True if sent."""
    layer = get_channel_layer()
    try:
        await asyncio.wait_for(layer.group_send(group, event), settings.VILLAGE_LAYER_TIMEOUT)
    except Exception:  # noqa: BLE001 - any layer failure is logged, never raised
        log.warning("broadcast of %s to %s failed", event.get("type"), group, exc_info=True)
        return False
    return True


def broadcast(group: str, event: dict[str, Any]) -> None:
    """Send from synchronous code (a service, after its commit)."""
    async_to_sync(send_to_group)(group, event)


def broadcast_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send once the current transaction commits; nothing if it rolls back."""
    transaction.on_commit(lambda: broadcast(group, event))
