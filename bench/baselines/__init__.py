"""Baseline WebSocket servers that the load harness compares Village against.

- `relay` (with `relay_settings`): a bare Channels consumer that only relays
  frames through the same channel layer as Village (Redis pub/sub by
  default); no database, no auth, no moderation. The gap between it and
  Village is what our own work costs.
- `ws_broadcast`: plain asyncio and the `websockets` library, broadcasting
  from memory. The ceiling of Python: the gap between it and `relay` is what
  Channels and the layer cost.

Both speak the subset of Village's protocol (docs/protocol.md) that the load
generator uses, implemented once here so that the two cannot drift apart:

- on connect (any path; cookies and Origin ignored; identity from the query
  string `?user=<int>`, else a counter) the server sends
  `{"type": "hello", "user": P, "rooms": []}` with
  P = `{"id": <int>, "display_name": "u<id>", "role": "member"}`;
- `{"type": "join", "room": R, "after_seq": ...}` subscribes the socket to R
  (`after_seq` is ignored) and is answered
  `{"type": "joined", "room": R, "messages": [], "more": false, "online": []}`;
- `{"type": "send", "room": R, "client_id": C, "body": B}` is answered
  `{"type": "ack", "client_id": C, "message": M}`, then
  `{"type": "message", "room": R, "message": M}` goes to every socket joined
  to R (the sender's too, if joined), with M = `{"id", "seq", "room",
  "author": P, "body", "created_at", "client_id", "status": "published"}`;
- `{"type": "leave", "room": R}` unsubscribes, unanswered;
- anything else is answered
  `{"type": "error", "code": "invalid", "detail": "...", "ref": null}`
  (`detail`, as Village names the field).

Frames are encoded compactly, and a broadcast is encoded once and the same
string sent to every member.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs


class BadFrame(Exception):
    """A frame outside the subset; answered with an `error` frame."""

    def as_frame(self) -> dict[str, Any]:
        return {"type": "error", "code": "invalid", "detail": str(self), "ref": None}


@dataclass(frozen=True)
class Join:
    room: int


@dataclass(frozen=True)
class Leave:
    room: int


@dataclass(frozen=True)
class Send:
    room: int
    client_id: str
    body: str


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def parse(data: str | bytes | None) -> Join | Leave | Send:
    """The frame a client sent, or BadFrame."""
    if not isinstance(data, str):
        raise BadFrame("Only text frames are accepted.")
    try:
        frame = json.loads(data)
    except ValueError:
        raise BadFrame("The frame is not valid JSON.") from None
    if not isinstance(frame, dict):
        raise BadFrame("The frame must be a JSON object.")
    kind = frame.get("type")
    if kind not in ("join", "leave", "send"):
        raise BadFrame(f"Unknown frame type {str(kind)[:40]!r}.")
    room = frame.get("room")
    # bool is an int in Python, not in JSON.
    if not isinstance(room, int) or isinstance(room, bool):
        raise BadFrame("'room' must be an integer.")
    if kind == "join":
        return Join(room)
    if kind == "leave":
        return Leave(room)
    client_id, body = frame.get("client_id"), frame.get("body")
    if not isinstance(client_id, str) or not isinstance(body, str):
        raise BadFrame("'send' needs a string 'client_id' and 'body'.")
    return Send(room, client_id, body)


def user_id(query: str, fallback: Callable[[], int]) -> int:
    """The `user` of a query string such as `user=12`, else `fallback()`."""
    values = parse_qs(query).get("user", [])
    try:
        return int(values[0])
    except (IndexError, ValueError):
        return fallback()


def person(user: int) -> dict[str, Any]:
    return {"id": user, "display_name": f"u{user}", "role": "member"}


def hello(user: int) -> dict[str, Any]:
    return {"type": "hello", "user": person(user), "rooms": []}


def joined(room: int) -> dict[str, Any]:
    return {"type": "joined", "room": room, "messages": [], "more": False, "online": []}


def message(*, message_id: int, seq: int | None, author: int, send: Send) -> dict[str, Any]:
    """The message object M of a published `send`."""
    return {
        "id": message_id,
        "seq": seq,
        "room": send.room,
        "author": person(author),
        "body": send.body,
        "created_at": datetime.now(UTC).isoformat(),
        "client_id": send.client_id,
        "status": "published",
    }


def ack(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": "ack", "client_id": payload["client_id"], "message": payload}


def broadcast(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "room": payload["room"], "message": payload}
