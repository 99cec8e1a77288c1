"""Reads of the chat that more than one caller needs."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from chat import policy
from chat.models import Membership, Message, Room, Session
from chat.protocol import HISTORY_LIMIT, message_payload
from moderation.models import LEVEL_ORDER, Flag

HELD_SHOWN = 200


@dataclass(frozen=True)
class MessagePage:
    messages: list[dict[str, Any]]
    more: bool


def current_session(room: Room) -> Session | None:
    """The room's open session, if one is open."""
    return Session.objects.filter(room=room, closed_at__isnull=True).first()


def _payloads(
    viewer: User, access: policy.RoomAccess, messages: Iterable[Message]
) -> list[dict[str, Any]]:
    messages = list(messages)
    flags = open_flag_levels([m.pk for m in messages]) if access.is_room_staff else {}
    shown = (
        policy.visible_message(viewer.pk, access, message_payload(m, flag=flags.get(m.pk)))
        for m in messages
    )
    return [m for m in shown if m is not None]


def open_flag_levels(message_ids: list[int]) -> dict[int, str]:
    """The most urgent open flag level of each of these messages."""
    levels: dict[int, str] = {}
    rows = Flag.objects.filter(message_id__in=message_ids, resolved_at__isnull=True).values_list(
        "message_id", "level"
    )
    for message_id, level in rows:
        most_urgent = levels.get(message_id)
        if most_urgent is None or LEVEL_ORDER[level] < LEVEL_ORDER[most_urgent]:
            levels[message_id] = level
    return levels


def visible_messages(
    *,
    room: Room,
    viewer: User,
    access: policy.RoomAccess,
    before_seq: int | None = None,
    after_seq: int | None = None,
    limit: int = 50,
) -> MessagePage:
    """A page of the room's messages that have a seq, in seq order.

    `after_seq`: the ones after it (`more`: there are later ones).
    `before_seq` or neither: the latest ones before it (`more`: there are earlier ones).
    """
    limit = max(1, min(limit, HISTORY_LIMIT))
    sequenced = Message.objects.select_related("author").filter(room=room, seq__isnull=False)
    if after_seq is not None:
        rows = list(sequenced.filter(seq__gt=after_seq).order_by("seq")[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
    else:
        if before_seq is not None:
            sequenced = sequenced.filter(seq__lt=before_seq)
        rows = list(sequenced.order_by("-seq")[: limit + 1])
        more = len(rows) > limit
        rows = rows[:limit][::-1]
    return MessagePage(messages=_payloads(viewer, access, rows), more=more)


def held_messages(*, room: Room, viewer: User, access: policy.RoomAccess) -> list[dict[str, Any]]:
    """Held messages this person may see: her own, or all of the room's for its
    staff; with them, those still being screened (no seq yet either)."""
    held = Message.objects.select_related("author").filter(
        room=room, status__in=(Message.Status.HELD, Message.Status.SCREENING)
    )
    if not access.is_room_staff:
        held = held.filter(author=viewer)
    return _payloads(viewer, access, held.order_by("created_at", "id")[:HELD_SHOWN])


def _is_open(room: Room, open_room_ids: set[int]) -> bool:
    if room.is_direct:
        pairing = getattr(room, "pairing", None)
        return pairing is not None and pairing.ended_at is None
    return room.always_open or room.pk in open_room_ids


def _summary(room: Room, *, open_room_ids: set[int], unread: int) -> dict[str, Any]:
    return {
        "id": room.pk,
        "kind": room.kind,
        "name": room.name,
        "session_open": _is_open(room, open_room_ids),
        "last_seq": room.last_seq,
        "unread": unread,
        "read_only": room.is_direct and not _is_open(room, open_room_ids),
        "next_session": (
            None if room.is_direct or room.always_open else _iso(next_session_start(room))
        ),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _unread_counts(user: User, memberships: list[Membership]) -> dict[int, int]:
    """Published messages by others after her read position, for each room she is behind in.

    Rooms where nothing was posted since she read are not queried at all (the
    room's `last_seq` says so); a socket's handshake asks this every time.
    """
    behind = [m for m in memberships if m.room.last_seq > m.last_read_seq]
    if not behind:
        return {}
    after_read = functools.reduce(
        operator.or_, (Q(room_id=m.room_id, seq__gt=m.last_read_seq) for m in behind)
    )
    return dict(
        Message.objects.filter(after_read, status=Message.Status.PUBLISHED)
        .exclude(author=user)
        .order_by()
        .values_list("room_id")
        .annotate(Count("id"))
    )


def rooms_for(*, user: User) -> list[dict[str, Any]]:
    """The rooms in her `hello`: her rooms, with unread counts; coordinators also
    see every group room."""
    memberships = list(
        Membership.objects.filter(user=user, removed_at__isnull=True)
        .select_related("room", "room__pairing")
        .prefetch_related("room__schedule")
    )
    if not policy.can_lead(user):
        # Places she may not act in (a paused volunteer's) are not listed.
        memberships = [m for m in memberships if m.role != Membership.Role.LEAD]
    unread = _unread_counts(user, memberships)
    rooms: dict[int, tuple[Room, int]] = {
        m.room_id: (m.room, unread.get(m.room_id, 0)) for m in memberships
    }
    # A coordinator's list also has every group room (an empty filter for anyone
    # else: Django answers it without a query).
    others = Room.objects.filter(policy.group_rooms_read_without_place_q(user))
    for room in others.exclude(pk__in=rooms).prefetch_related("schedule"):
        rooms[room.pk] = (room, 0)
    open_ids = set(
        Session.objects.filter(room__in=rooms, closed_at__isnull=True).values_list(
            "room_id", flat=True
        )
    )
    ordered = sorted(
        rooms.values(), key=lambda pair: (pair[0].kind != Room.Kind.GROUP, pair[0].name)
    )
    return [_summary(room, open_room_ids=open_ids, unread=unread) for room, unread in ordered]


def room_summary(*, room: Room, user: User) -> dict[str, Any]:
    """One room as it appears in her room list."""
    open_ids = {room.pk} if current_session(room) is not None else set()
    membership = Membership.objects.filter(room=room, user=user).first()
    unread = 0
    if membership is not None:
        unread = (
            Message.objects.filter(
                room=room, seq__gt=membership.last_read_seq, status=Message.Status.PUBLISHED
            )
            .exclude(author=user)
            .count()
        )
    return _summary(room, open_room_ids=open_ids, unread=unread)


def next_session_start(room: Room, *, now: datetime | None = None) -> datetime | None:
    """When the room's next scheduled session begins (None without a schedule)."""
    now = timezone.localtime(now or timezone.now())
    starts = []
    for slot in room.schedule.all():
        days_ahead = (slot.weekday - now.weekday()) % 7
        day = now.date() + timedelta(days=days_ahead)
        start = timezone.make_aware(datetime.combine(day, slot.starts_at))
        if start <= now:
            start += timedelta(days=7)
        starts.append(start)
    return min(starts, default=None)


# --- places in rooms, and a flag's surroundings (moderation asks; chat knows) ------


def led_room_ids(user: User) -> set[int]:
    """The rooms and 1:1 chats where she holds a lead place, on paper: whether she
    may lead in them NOW is policy's question (chat.policy.can_lead,
    moderation.policy.can_view_queue). Moderation asks through RoomPlaces."""
    return set(
        Membership.objects.filter(
            user=user, role=Membership.Role.LEAD, removed_at__isnull=True
        ).values_list("room_id", flat=True)
    )


def room_ids_of(person: User) -> set[int]:
    """The rooms and 1:1 chats she is in now (any role). Moderation asks through RoomPlaces."""
    return set(
        Membership.objects.filter(user=person, removed_at__isnull=True).values_list(
            "room_id", flat=True
        )
    )


CONTEXT_AROUND = 5


def messages_around(message: Message | None) -> dict[str, list[Message]]:
    """The published messages just `before` and `after` a flagged one, for the
    reviewer's card (CONTEXT_AROUND each way). A message never published (held,
    blocked) sits among them by the time it was written."""
    if message is None:
        return {"before": [], "after": []}
    around = Message.objects.filter(room_id=message.room_id, seq__isnull=False).select_related(
        "author"
    )
    if message.seq is not None:
        before = list(around.filter(seq__lt=message.seq).order_by("-seq")[:CONTEXT_AROUND])[::-1]
        after = list(around.filter(seq__gt=message.seq).order_by("seq")[:CONTEXT_AROUND])
    else:
        before = list(
            around.filter(created_at__lte=message.created_at).order_by("-seq")[:CONTEXT_AROUND]
        )[::-1]
        after = list(
            around.filter(created_at__gt=message.created_at).order_by("seq")[:CONTEXT_AROUND]
        )
    return {"before": before, "after": after}
