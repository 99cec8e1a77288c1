"""The one WebSocket of a browser tab: `/ws/chat/`.

Thin: decode and check a frame, call one service on a database thread, send
the result. Events from the channel layer are filtered per person by the
policy before they reach the browser. docs/protocol.md is the contract.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError

from accounts.policy import may_open_socket
from accounts.selectors import login_is_valid
from chat import policy, presence, services
from chat.protocol import Frame, FrameError, parse_frame, person
from chat.selectors import rooms_for
from infra.dbwork import in_db_thread
from infra.origins import origin_allowed
from infra.realtime import (
    BROADCAST_ID,
    LayerUnavailable,
    coordinators_group,
    join_group,
    leave_group,
    login_session_group,
    room_group,
    send_to_group,
    user_group,
)
from moderation import policy as moderation_policy

log = logging.getLogger("village.chat")


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


# Frames of recent broadcasts, by (event id, form): every socket of this
# process in the group gets the same event (each its own copy of it), so a
# broadcast is encoded once per form, not once per person. All of a process's
# sockets run on its one event loop; a broadcast's frames are wanted within
# moments, so the oldest are simply dropped.
_encoded: collections.OrderedDict[tuple[str, Any], str] = collections.OrderedDict()
ENCODED_KEPT = 4096


def encoded_once(event: dict[str, Any], form: Any, build: Callable[[], dict[str, Any]]) -> str:
    """The frame for `event` in `form`, encoded by the first socket that needs it."""
    event_id = event.get(BROADCAST_ID)
    if event_id is None:
        return encode(build())
    text = _encoded.get((event_id, form))
    if text is None:
        text = _encoded[(event_id, form)] = encode(build())
        if len(_encoded) > ENCODED_KEPT:
            _encoded.popitem(last=False)
    return text


REVOKED_CLOSE_CODE = 4001
TYPING_EVERY = 2.0  # seconds between typing events from one socket per room


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        try:
            await self.open_socket()
        except (OperationalError, InterfaceError):
            # The database is unreachable: refuse cleanly; the client retries.
            log.warning("refused a socket: database unavailable", exc_info=True)
            await self.close(code=1013)

    async def open_socket(self) -> None:
        self.user = self.scope.get("user")
        self.session_key = getattr(self.scope.get("session"), "session_key", None)
        self.rooms: dict[int, policy.RoomAccess] = {}
        self.presence_entries: dict[int, str] = {}
        self.last_typing: dict[int, float] = {}
        self.refresh_task: asyncio.Task | None = None
        self.closing = False
        # Again behind asgi.py's SameOriginValidator: the same rule (infra.origins).
        if not origin_allowed(self.scope):
            await self.close()
            return
        if not self.user or not self.user.is_authenticated or not self.session_key:
            await self.close()
            return
        if not await in_db_thread(may_open_socket)(self.user):
            await self.close()
            return
        sockets = await asyncio.to_thread(presence.connected_sockets, user_id=self.user.pk)
        if sockets >= settings.VILLAGE_MAX_SOCKETS_PER_PERSON:
            # One person needs a few tabs and devices, not a flood of sockets.
            log.warning("refused a socket: user %s already has %s", self.user.pk, sockets)
            await self.close()
            return
        self.groups_joined = [user_group(self.user.pk), login_session_group(self.session_key)]
        if moderation_policy.hears_every_flag(self.user):
            self.groups_joined.append(coordinators_group())
        try:
            for group in self.groups_joined:
                await join_group(group, self.channel_name)
        except LayerUnavailable:
            # Without its revocation groups a socket must not run: refused,
            # and the client's backoff tries again.
            await self.close()
            return
        await self.accept()
        # Re-check after joining the revocation groups: a logout or password
        # change during the handshake would otherwise be missed.
        if not await in_db_thread(login_is_valid)(
            user_id=self.user.pk, session_key=self.session_key
        ):
            await self.revoke("logged_out")
            return
        await asyncio.to_thread(presence.connect, user_id=self.user.pk, socket=self.channel_name)
        self.connected = True
        rooms = await in_db_thread(rooms_for)(user=self.user)
        await self.send_json({"type": "hello", "user": person(self.user), "rooms": rooms})
        self.refresh_task = asyncio.create_task(self.refresh_presence())

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its per-event `close_old_connections`.

        Channels hops to its one synchronous thread before every event to
        close stale database connections there. This consumer never queries
        on that thread (its services run on infra.dbwork's threads, which
        look after their own connections; the session lookup of the
        handshake uses `database_sync_to_async`, which closes them itself),
        and at a few thousand events a second the hop was the largest cost
        of a broadcast (docs/performance.md).
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def disconnect(self, code: int) -> None:
        if self.refresh_task is not None:
            self.refresh_task.cancel()
        for room_id in list(self.rooms):
            await self.leave_room(room_id)
        for group in getattr(self, "groups_joined", []):
            await leave_group(group, self.channel_name)
        if getattr(self, "connected", False):
            await asyncio.to_thread(
                presence.disconnect, user_id=self.user.pk, socket=self.channel_name
            )

    # --- frames from the browser ---------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        if text_data is None:
            await self.send_error(FrameError("bad_frame", "Send JSON text frames, not binary."))
            return
        if len(text_data.encode("utf-8", "surrogatepass")) > settings.VILLAGE_WS_MAX_FRAME_BYTES:
            await self.close_too_big()
            return
        try:
            frame = parse_frame(text_data)
        except FrameError as error:
            await self.send_error(error)
            return
        handler = getattr(self, f"frame_{frame.type}")
        try:
            await handler(frame)
        except services.ChatError as error:
            await self.send_error(
                FrameError(error.code, error.detail, ref=frame.ref, **error.extra)
            )
        except PermissionDenied:
            await self.send_error(FrameError("forbidden", services.NOT_AVAILABLE, ref=frame.ref))
        except LayerUnavailable:
            await self.send_error(
                FrameError(
                    "unavailable",
                    "We can't reach our messaging service just now. Nothing was changed; "
                    "retrying is safe.",
                    ref=frame.ref,
                )
            )
        except (OperationalError, InterfaceError):
            log.warning("database unavailable for a %s frame", frame.type, exc_info=True)
            await self.send_error(
                FrameError(
                    "unavailable",
                    "We can't reach our database just now. Nothing was changed or it may have "
                    "been; retrying is safe.",
                    ref=frame.ref,
                )
            )
        except DatabaseError:
            log.exception("database error for a %s frame", frame.type)
            await self.send_error(
                FrameError("server_error", "Something went wrong.", ref=frame.ref)
            )
        except Exception:
            log.exception("error handling a %s frame", frame.type)
            await self.send_error(
                FrameError("server_error", "Something went wrong.", ref=frame.ref)
            )

    async def frame_join(self, frame: Frame) -> None:
        room_id = frame["room"]
        # Subscribe before reading, so nothing published in between is missed
        # (duplicates are harmless: clients keep messages by seq).
        await join_group(room_group(room_id), self.channel_name)
        try:
            result = await in_db_thread(services.join_room)(
                user=self.user,
                room_id=room_id,
                after_seq=frame["after_seq"],
                reason=frame["reason"],
                watch=frame["watch"],
            )
        except BaseException:
            if room_id not in self.rooms:
                await leave_group(room_group(room_id), self.channel_name)
            raise
        self.rooms[room_id] = result.access
        if frame["watch"]:
            online = await asyncio.to_thread(presence.online, room_id=room_id)
        else:
            online = await self.enter_presence(room_id)
        await self.send_json(
            {
                "type": "joined",
                "room": room_id,
                "messages": result.messages,
                "held": result.held,
                "more": result.more,
                "session_open": result.session_open,
                "read_only": result.read_only,
                "online": online,
            }
        )

    async def frame_send(self, frame: Frame) -> None:
        result = await in_db_thread(services.send_message)(
            author=self.user,
            room_id=frame["room"],
            client_id=frame["client_id"],
            body=frame["body"],
        )
        ack = {
            "type": "ack",
            "client_id": frame["client_id"],
            "status": result.status,
            "message": result.message,
        }
        if result.notice:
            ack["notice"] = result.notice
        await self.send_json(ack)

    async def frame_history(self, frame: Frame) -> None:
        page = await in_db_thread(services.history)(
            user=self.user,
            room_id=frame["room"],
            before_seq=frame["before_seq"],
            after_seq=frame["after_seq"],
            limit=frame["limit"],
            opened_with_reason=frame["room"] in self.rooms,
        )
        await self.send_json(
            {"type": "history", "room": frame["room"], "messages": page.messages, "more": page.more}
        )

    async def frame_typing(self, frame: Frame) -> None:
        room_id = frame["room"]
        access = self.rooms.get(room_id)
        if access is None or not access.can_post or access.read_only:
            raise services.ChatError("forbidden", "Join the room before typing in it.")
        now = time.monotonic()
        if now - self.last_typing.get(room_id, 0.0) < TYPING_EVERY:
            return
        self.last_typing[room_id] = now
        await in_db_thread(services.check_can_type)(user=self.user, room_id=room_id)
        await send_to_group(
            room_group(room_id), {"type": "chat.typing", "room": room_id, "user": person(self.user)}
        )

    async def frame_read(self, frame: Frame) -> None:
        await in_db_thread(services.mark_read)(
            user=self.user, room_id=frame["room"], seq=frame["seq"]
        )

    async def frame_session(self, frame: Frame) -> None:
        service = services.open_session if frame["action"] == "open" else services.close_session
        await in_db_thread(service)(actor=self.user, room_id=frame["room"])

    async def frame_leave(self, frame: Frame) -> None:
        await self.leave_room(frame["room"])

    async def frame_delete(self, frame: Frame) -> None:
        await in_db_thread(services.delete_message)(actor=self.user, message_id=frame["message"])

    async def frame_report(self, frame: Frame) -> None:
        await in_db_thread(services.report)(
            reporter=self.user,
            message_id=frame["message"],
            reason=frame["reason"],
            note=frame["note"],
        )
        await self.send_json({"type": "reported", "message": frame["message"]})

    async def frame_hide(self, frame: Frame) -> None:
        await in_db_thread(services.hide_message)(actor=self.user, message_id=frame["message"])

    async def frame_restore(self, frame: Frame) -> None:
        await in_db_thread(services.restore_message)(actor=self.user, message_id=frame["message"])

    async def frame_release(self, frame: Frame) -> None:
        await in_db_thread(services.release_held_message)(
            actor=self.user, message_id=frame["message"]
        )

    async def frame_block(self, frame: Frame) -> None:
        await in_db_thread(services.block_held_message)(
            actor=self.user, message_id=frame["message"]
        )

    # --- events from the channel layer -------------------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.forward_message("message", event)

    async def chat_message_update(self, event: dict[str, Any]) -> None:
        await self.forward_message("message_update", event)

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event["room"] in self.rooms and event["user"]["id"] != self.user.pk:
            await self.send_json({"type": "typing", "room": event["room"], "user": event["user"]})

    async def chat_presence(self, event: dict[str, Any]) -> None:
        if event["room"] in self.rooms:
            await self.send_text(
                encoded_once(
                    event,
                    "presence",
                    lambda: {"type": "presence", "room": event["room"], "online": event["online"]},
                )
            )

    async def chat_session(self, event: dict[str, Any]) -> None:
        room_id = event["room"]
        if room_id not in self.rooms:
            return
        await self.send_json({"type": "session", "room": room_id, "open": event["open"]})
        if event["open"]:
            # Being in the room when its session opens counts as attending.
            await in_db_thread(services.record_attendance)(user=self.user, room_id=room_id)

    async def chat_room_update(self, event: dict[str, Any]) -> None:
        room_id = event["room"]
        if room_id in self.rooms:
            self.rooms[room_id] = dataclasses.replace(
                self.rooms[room_id], read_only=event["read_only"]
            )
        await self.send_json(
            {"type": "room_update", "room": room_id, "read_only": event["read_only"]}
        )

    async def chat_room_added(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "room_added", "room": event["room"]})

    async def chat_room_removed(self, event: dict[str, Any]) -> None:
        await self.leave_room(event["room"])
        await self.send_json({"type": "room_removed", "room": event["room"]})

    async def chat_support(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "support", "card": event["card"]})

    async def chat_warning(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "warning", "warning": event["warning"]})

    async def chat_flag(self, event: dict[str, Any]) -> None:
        """Every coordinator hears of every flag (and again when one waits too long)."""
        if moderation_policy.hears_every_flag(self.user):
            await self.send_json(
                {"type": "flag", "flag": event["flag"], "realert": event.get("realert", False)}
            )

    async def chat_flag_update(self, event: dict[str, Any]) -> None:
        if moderation_policy.hears_every_flag(self.user):
            await self.send_json({"type": "flag_update", "flag": event["flag"]})

    async def chat_room_flag(self, event: dict[str, Any]) -> None:
        """A lead volunteer hears of the flags of the rooms she has open."""
        access = self.rooms.get(event["room"])
        # Coordinators heard of it in the coordinators' group already.
        if (
            not moderation_policy.hears_every_flag(self.user)
            and access is not None
            and access.is_room_staff
        ):
            await self.send_json({"type": "flag", "flag": event["flag"], "realert": False})

    async def chat_session_held_open(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "session_held_open", "room": event["room"]})

    async def chat_revoke(self, event: dict[str, Any]) -> None:
        await self.revoke(event["reason"])

    # --- helpers ----------------------------------------------------------------

    async def forward_message(self, kind: str, event: dict[str, Any]) -> None:
        access = self.rooms.get(event["room"])
        if access is None:
            return
        if event.get("update_for") == self.user.pk:
            # Her own message, cleared by screening: she has it already.
            kind = "message_update"
        form = policy.message_form(self.user.pk, access, event["message"])
        if form is None:
            return
        await self.send_text(
            encoded_once(
                event,
                (form, kind),
                lambda: {
                    "type": kind,
                    "room": event["room"],
                    "message": policy.shape_message(event["message"], form),
                },
            )
        )

    async def enter_presence(self, room_id: int) -> list[dict[str, Any]]:
        if self.user.show_online and room_id not in self.presence_entries:
            entry = presence.entry(socket=self.channel_name, person=person(self.user))
            self.presence_entries[room_id] = entry
            await asyncio.to_thread(presence.enter, room_id=room_id, entry=entry)
            presence.announce_soon(room_id)
        return await asyncio.to_thread(presence.online, room_id=room_id)

    async def leave_room(self, room_id: int) -> None:
        self.rooms.pop(room_id, None)
        await leave_group(room_group(room_id), self.channel_name)
        entry = self.presence_entries.pop(room_id, None)
        if entry is not None:
            await asyncio.to_thread(presence.leave, room_id=room_id, entry=entry)
            presence.announce_soon(room_id)

    async def refresh_presence(self) -> None:
        while True:
            await asyncio.sleep(presence.REFRESH_EVERY)
            await asyncio.to_thread(
                presence.connect, user_id=self.user.pk, socket=self.channel_name
            )
            for room_id, entry in list(self.presence_entries.items()):
                await asyncio.to_thread(presence.enter, room_id=room_id, entry=entry)

    async def revoke(self, reason: str) -> None:
        if self.closing:
            return
        await self.send_json({"type": "revoked", "reason": reason})
        # Nothing more reaches this socket: stop listening before closing.
        self.closing = True
        for room_id in list(self.rooms):
            await self.leave_room(room_id)
        for group in getattr(self, "groups_joined", []):
            await leave_group(group, self.channel_name)
        self.groups_joined = []
        await self.close(code=REVOKED_CLOSE_CODE)

    async def send_json(self, content: dict[str, Any]) -> None:
        await self.send_text(encode(content))

    async def send_text(self, text: str) -> None:
        if self.closing:
            return  # revoked: not one more event
        await self.send(text_data=text)

    async def send_error(self, error: FrameError) -> None:
        await self.send_json(error.as_frame())

    async def close_too_big(self) -> None:
        """Close an oversize frame's socket with 1009 (message too big).

        daphne (autobahn) lets an application close only with 1000 or
        3000-4999 and raises on 1009 ("Exception inside application", then
        1011). There only the server itself can answer 1009, when its own
        message limit is set; this is the fallback: the private-use mirror 4009.
        """
        self.closing = True
        try:
            await self.close(code=1009)
        except Exception:
            log.warning("the server refused close code 1009; closing with 4009")
            await self.close(code=4009)
