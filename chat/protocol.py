"""The WebSocket protocol's shapes: parsing client frames, serialising messages.

Pure Python apart from the models it serialises: no database access here.
docs/protocol.md documents every frame; tests hold this module to it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from accounts import text as shown_text

if TYPE_CHECKING:  # the models are only serialised here, never queried
    from accounts.models import User
    from chat.models import Message

MAX_DEPTH = 4
MAX_INT = 2**53  # the largest integer a browser's JSON keeps exactly
HISTORY_LIMIT = 100
JOIN_LATEST = 50
REPORT_REASONS = ("worried", "hostile", "contact", "spam", "other")
NOTHING_TO_SEE = (
    "There's nothing to see in this message. Please write something before you send it."
)
HIDDEN_CHARACTERS = (
    "This message has hidden characters in it (ones that can't be seen, or that change which "
    "way text runs), sometimes from copying and pasting. Please type it again without them."
)


class FrameError(Exception):
    """A frame the server cannot act on; becomes an `error` frame."""

    def __init__(self, code: str, detail: str, ref: Any = None, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.ref = ref
        self.extra = extra

    def as_frame(self) -> dict[str, Any]:
        return {
            "type": "error",
            "code": self.code,
            "detail": self.detail,
            "ref": self.ref,
            **self.extra,
        }


@dataclass(frozen=True)
class Frame:
    type: str
    fields: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    @property
    def ref(self) -> Any:
        return self.fields.get("client_id") or self.type


# --- field kinds -------------------------------------------------------------


def _id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < MAX_INT:
        raise ValueError("must be a positive whole number")
    return value


def _seq(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_INT:
        raise ValueError("must be a whole number, 0 or more")
    return value


def _optional_seq(value: Any) -> int | None:
    return None if value is None else _seq(value)


def _limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= HISTORY_LIMIT:
        raise ValueError(f"must be a whole number from 1 to {HISTORY_LIMIT}")
    return value


def _client_id(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a UUID string")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError("must be a UUID string") from None


def _storable(value: str) -> str:
    """Text the database and the wire can carry.

    JSON may escape a lone UTF-16 surrogate (`"\\ud800"`, e.g. an emoji cut in
    half by a client); it is not Unicode text, cannot be stored or sent back
    as UTF-8 (daphne would fail the socket with 1011). PostgreSQL text cannot
    hold NUL.
    """
    if not _is_unicode(value):
        raise ValueError("must be valid Unicode text (it has a lone surrogate)")
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _is_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _plain(value: str) -> str:
    """`value` made safe to echo in an error frame (lone surrogates become '?')."""
    return value if _is_unicode(value) else value.encode("utf-8", "replace").decode("utf-8")


def _text(max_length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be text")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        return _storable(value)

    return check


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _body(value: Any) -> str:
    # Length is the service's rule (too_long); here only the type.
    if not isinstance(value, str):
        raise ValueError("must be text")
    return _storable(value)


def _choice(*options: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError("must be one of " + ", ".join(options))
        return value

    return check


# frame type -> (required fields and their checks, optional ones with defaults)
FRAMES: dict[str, tuple[dict[str, Any], dict[str, tuple[Any, Any]]]] = {
    "join": (
        {"room": _id},
        {
            "after_seq": (_optional_seq, None),
            "reason": (_text(500), ""),
            # A room list following rooms it is not showing: no presence, no attendance.
            "watch": (_flag, False),
        },
    ),
    "send": ({"room": _id, "client_id": _client_id, "body": _body}, {}),
    "history": (
        {"room": _id},
        {
            "before_seq": (_optional_seq, None),
            "after_seq": (_optional_seq, None),
            "limit": (_limit, JOIN_LATEST),
        },
    ),
    "typing": ({"room": _id}, {}),
    "read": ({"room": _id, "seq": _seq}, {}),
    "session": ({"room": _id, "action": _choice("open", "close")}, {}),
    "leave": ({"room": _id}, {}),
    "delete": ({"message": _id}, {}),
    "report": (
        {"message": _id, "reason": _choice(*REPORT_REASONS)},
        {"note": (_text(1000), "")},
    ),
    "hide": ({"message": _id}, {}),
    "restore": ({"message": _id}, {}),
    "release": ({"message": _id}, {}),
    "block": ({"message": _id}, {}),
}


def _too_deep(value: Any) -> bool:
    """True if containers nest deeper than MAX_DEPTH (iterative: input may be hostile)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def parse_frame(text: str) -> Frame:
    """Turn one text frame into a checked Frame, or raise FrameError."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise FrameError("bad_frame", "The frame is nested too deeply.") from None
    except ValueError:
        raise FrameError("bad_frame", "The frame is not valid JSON.") from None
    if not isinstance(data, dict):
        raise FrameError("bad_frame", "The frame must be a JSON object.")
    if _too_deep(data):
        raise FrameError("bad_frame", "The frame is nested too deeply.")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise FrameError("bad_frame", "The frame has no 'type'.")
    # docs/protocol.md: a send's client_id as sent (cut to 64); any other frame's type.
    client_id = data.get("client_id") if kind == "send" else None
    ref = _plain((client_id if isinstance(client_id, str) else kind)[:64])
    if kind not in FRAMES:
        raise FrameError("unknown_type", f"Unknown frame type {kind[:40]!r}.", ref=ref)
    required, optional = FRAMES[kind]
    missing = [name for name in required if name not in data]
    if missing:
        raise FrameError("bad_frame", f"The frame lacks {', '.join(missing)}.", ref=ref)
    unexpected = set(data) - set(required) - set(optional) - {"type"}
    if unexpected:
        names = ", ".join(sorted(_plain(n[:40]) for n in unexpected)[:5])
        raise FrameError("invalid", f"Unexpected field(s): {names}.", ref=ref)
    fields: dict[str, Any] = {}
    for name, check in required.items():
        fields[name] = _checked(name, check, data[name], ref)
    for name, (check, default) in optional.items():
        fields[name] = _checked(name, check, data[name], ref) if name in data else default
    if kind == "history" and fields["before_seq"] is not None and fields["after_seq"] is not None:
        raise FrameError("invalid", "Give before_seq or after_seq, not both.", ref=ref)
    if kind == "send":
        _check_readable(fields["body"], ref)
    return Frame(kind, fields)


def _check_readable(body: str, ref: Any) -> None:
    """A message shows what it says: something visible, nothing hidden (issue 14).

    Refused, not cleaned: what is published is exactly what she sent. The
    classification is the one display names use (accounts.text); the
    joiners inside emoji (👩‍👧) and in scripts that need them pass.
    """
    if not shown_text.has_visible_character(body):
        raise FrameError("invalid", NOTHING_TO_SEE, ref=ref)
    if shown_text.hidden_characters(body):
        raise FrameError("invalid", HIDDEN_CHARACTERS, ref=ref)


def _checked(name: str, check: Callable[[Any], Any], value: Any, ref: Any) -> Any:
    try:
        return check(value)
    except ValueError as error:
        raise FrameError("invalid", f"'{name}' {error}.", ref=ref) from None


# --- serialisation -------------------------------------------------------------


def person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "display_name": user.display_name, "role": user.role}


def message_payload(message: Message, *, flag: str | None = None) -> dict[str, Any]:
    """The contract's message object M (the full form; policy redacts per viewer).

    `flag` (the level of an open flag on it) is for the room's staff only.
    """
    payload: dict[str, Any] = {
        "id": message.pk,
        "seq": message.seq,
        "room": message.room_id,
        "author": person(message.author),
        "body": message.body,
        "created_at": message.created_at.isoformat(),
        "client_id": str(message.client_id),
        "status": message.status,
    }
    if flag:
        payload["flag"] = flag
    return payload
