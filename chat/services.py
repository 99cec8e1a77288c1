"""Writes to the chat: each function owns its transaction, and announces what it
changed only after the commit.

Raises ChatError (with a protocol error code) when a request cannot be met.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Role, User
from accounts.policy import why_not_cleared
from audit.services import record_audit
from chat import notices, policy, ratelimit
from chat.audit_actions import ChatAuditAction
from chat.models import (
    Attendance,
    JoinRequest,
    Membership,
    Message,
    Pairing,
    Room,
    ScheduleSlot,
    Session,
)
from chat.protocol import HISTORY_LIMIT, JOIN_LATEST, message_payload
from chat.selectors import (
    MessagePage,
    current_session,
    held_messages,
    open_flag_levels,
    room_summary,
    visible_messages,
)
from infra import tasks
from infra.realtime import (
    broadcast,
    broadcast_on_commit,
    coordinators_group,
    room_group,
    user_group,
)
from moderation.models import LEVEL_ORDER
from moderation.screening import PUBLISH as PUBLISH_VERDICT
from moderation.screening import Verdict
from moderation.selectors import active_mute, has_unacknowledged_red, is_contact_hold
from moderation.services import flag_message, model_screens_after_send, screen_message

NOT_AVAILABLE = "That room doesn't exist or isn't open to you."
# A session opened this long before a scheduled slot still counts as on schedule.
EARLY_OPENING = timedelta(minutes=15)


class ChatError(Exception):
    """A request the chat refuses; `code` is the protocol's error code."""

    def __init__(self, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.extra = extra


# --- Loading a room for a person ----------------------------------------------


@dataclass(frozen=True)
class RoomContext:
    room: Room
    membership: Membership | None
    access: policy.RoomAccess


def _room_for(user: User, room_id: int, *, lock: bool = False) -> RoomContext:
    """The room with `user`'s access to it; `forbidden` if she may not read it.

    With `lock`, the room row is locked FOR NO KEY UPDATE: it serialises the
    room's `seq` without blocking inserts that reference the room.
    """
    rooms = Room.objects.select_related("pairing")
    if lock:
        rooms = rooms.select_for_update(no_key=True, of=("self",))
    room = rooms.filter(pk=room_id).first()
    if room is None:
        raise ChatError("forbidden", NOT_AVAILABLE)
    membership = Membership.objects.filter(room=room, user=user).first()
    access = policy.room_access(user, room, membership)
    if not access.can_read:
        raise ChatError("forbidden", NOT_AVAILABLE)
    return RoomContext(room, membership, access)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


# --- Sending ---------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    status: str
    # The form of the message its author may see (policy.visible_message).
    message: dict[str, Any] | None
    created: bool
    notice: str = ""


def send_message(
    *, author: User, room_id: int, client_id: uuid.UUID | str, body: str
) -> SendResult:
    """Store a message from `author` in the room and announce it after commit.

    Idempotent per (author, client_id): a retry returns the first result, is
    not broadcast again and does not count against the rate limit.
    """
    client_id = uuid.UUID(str(client_id))
    earlier = _earlier_send(author, client_id, room_id)
    if earlier is not None:
        return earlier
    if not body.strip():
        raise ChatError("invalid", "The message is empty.")
    if len(body) > settings.VILLAGE_MESSAGE_MAX_LENGTH:
        raise ChatError(
            "too_long",
            f"Messages can be up to {settings.VILLAGE_MESSAGE_MAX_LENGTH} characters.",
        )
    # A flood is turned away before it takes the room's lock.
    _refuse_if_limited(ratelimit.over_limit(user_id=author.pk))
    with transaction.atomic():
        context = _room_for(author, room_id, lock=True)
        room, session = context.room, _check_can_post(context)
        mute = active_mute(user=author, room_id=room.pk)
        if mute is not None:
            raise ChatError(
                "muted",
                "You can't post here for now. A coordinator will be in touch."
                if mute.until is None
                else "You can't post here for a while.",
                until=mute.until.isoformat() if mute.until else None,
            )
        _refuse_if_limited(ratelimit.take_send_slot(user_id=author.pk, token=str(client_id)))
        later = model_screens_after_send()
        # Stage 1: the rules here, and the model too unless it reads afterwards.
        verdict = screen_message(author=author, room=room, body=body, with_model=not later)
        message = Message(
            room=room,
            author=author,
            client_id=client_id,
            body=body,
            session=session,
            status=STATUS_FOR_ACTION[verdict.action],
        )
        if later and message.status == Message.Status.PUBLISHED:
            # Stage 2 follows: in a group the room sees the message only once
            # the model has cleared it (or its deadline has passed); in a 1:1,
            # where the volunteer sees RED messages anyway, it only flags.
            message.screening = Message.Screening.WAITING
            message.screen_by = timezone.now() + timedelta(
                seconds=settings.VILLAGE_SCREENING_DEADLINE_SECONDS
            )
            if not room.is_direct:
                message.status = Message.Status.SCREENING
        if message.status == Message.Status.PUBLISHED:
            _publish(room, message)
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            # A concurrent send with this client_id committed first (while this
            # one waited for the room's lock): the same message, or another room's.
            earlier = _earlier_send(author, client_id, room_id)
            if earlier is None:
                raise
            return earlier
        if message.status == Message.Status.PUBLISHED:
            room.save(update_fields=["last_seq"])
            if context.membership is not None:
                Membership.objects.filter(pk=context.membership.pk).update(
                    last_read_seq=message.seq
                )
        if session is not None:
            _count_attendance(session, author)
        flag = flag_message(message=message, verdict=verdict) if verdict.needs_flag else None
        payload = message_payload(message, flag=flag.level if flag else None)
        broadcast_on_commit(
            room_group(room.pk), {"type": "chat.message", "room": room.pk, "message": payload}
        )
        if room.is_direct and message.status == Message.Status.PUBLISHED:
            notices.direct_message_on_commit(room=room, author=author)
        if message.screening == Message.Screening.WAITING:
            tasks.defer_on_commit(SCREENING_JOB, message_id=message.pk)
    return SendResult(
        status=message.status,
        message=policy.visible_message(author.pk, context.access, payload),
        created=True,
        notice=verdict.notice,
    )


STATUS_FOR_ACTION = {
    "publish": Message.Status.PUBLISHED,
    "hold": Message.Status.HELD,
    "block": Message.Status.BLOCKED,
}
# The task engine's name for stage 2 (chat.tasks).
SCREENING_JOB = "chat.finish_screening"


def finish_screening(*, message_id: int) -> str:
    """Stage 2 of screening: the model reads a message after it was stored.

    A message waiting in `screening` (a group) is published with the room's
    next seq if the rules and the model together clear it, exactly as a
    released held message is, or held (RED, or a baby_harm hold) with its flag
    and the crisis card, as a stage-1 hold is. A message already published (a
    1:1, or a group message past its deadline) is only flagged if the model
    finds risk. The model runs before the transaction, so that no lock is held
    while it reads. Returns what happened, for the logs and the tests.
    """
    message = Message.objects.select_related("author", "room").filter(pk=message_id).first()
    if message is None or message.screening not in WAITING_FOR_THE_MODEL:
        return "nothing to do"
    verdict = screen_message(author=message.author, room=message.room, body=message.body)
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=message.room_id)
        message = Message.objects.select_for_update().select_related("author").get(pk=message_id)
        if message.screening not in WAITING_FOR_THE_MODEL:
            return "nothing to do"  # the sweep published it meanwhile, or another job ran
        message.screening = (
            Message.Screening.LATE
            if message.screening == Message.Screening.OVERDUE
            else Message.Screening.DONE
        )
        message.screen_by = None
        already_flagged = message_flag_level(message.pk)
        worse = LEVEL_ORDER.get(verdict.level or "", 9) < LEVEL_ORDER.get(already_flagged or "", 9)
        flag = (
            flag_message(message=message, verdict=verdict) if verdict.needs_flag and worse else None
        )
        if message.status == Message.Status.SCREENING:
            outcome = _decide_screened(room, message, verdict)
        else:
            message.save(update_fields=["screening", "screen_by"])
            outcome = "read after it was shown"
            if flag is not None:
                _announce_update(message, flag=flag.level)
    return outcome + (f", flagged {flag.level}" if flag is not None else "")


WAITING_FOR_THE_MODEL = (Message.Screening.WAITING, Message.Screening.OVERDUE)


def message_flag_level(message_id: int) -> str | None:
    return open_flag_levels([message_id]).get(message_id)


def _decide_screened(room: Room, message: Message, verdict: Verdict) -> str:
    """A screening message leaves `screening`: published, held or blocked."""
    status = STATUS_FOR_ACTION[verdict.action]
    if status == Message.Status.PUBLISHED:
        _publish(room, message)
        message.save(update_fields=["seq", "status", "published_at", "screening", "screen_by"])
        room.save(update_fields=["last_seq"])
        Membership.objects.filter(room=room, user_id=message.author_id).update(
            last_read_seq=message.seq
        )
        flag = message_flag_level(message.pk)
        broadcast_on_commit(
            room_group(room.pk),
            {
                "type": "chat.message",
                "room": room.pk,
                "message": message_payload(message, flag=flag),
                # Its author already has it (acked as `screening`): for her
                # it is a message_update.
                "update_for": message.author_id,
            },
        )
        if room.is_direct:
            notices.direct_message_on_commit(room=room, author=message.author)
        return "published"
    message.status = status
    message.save(update_fields=["status", "screening", "screen_by"])
    _announce_update(message, flag=message_flag_level(message.pk))
    return status


def publish_overdue(*, now: datetime) -> int:
    """The deadline, kept in the database: a group message still waiting for
    the model when its deadline passes is published on the rules' verdict
    (stage 1 already decided it would be), marked overdue, and scored when the
    workers are back (score_overdue); a 1:1 message (published already) is
    only marked. Returns how many were published."""
    due = list(
        Message.objects.filter(status=Message.Status.SCREENING, screen_by__lte=now)
        .order_by("screen_by")
        .values_list("pk", flat=True)[:500]
    )
    published = 0
    for message_id in due:
        with transaction.atomic():
            room_id = Message.objects.values_list("room_id", flat=True).get(pk=message_id)
            room = Room.objects.select_for_update().get(pk=room_id)
            message = (
                Message.objects.select_for_update().select_related("author").get(pk=message_id)
            )
            if message.status != Message.Status.SCREENING:
                continue
            message.screening = Message.Screening.OVERDUE
            _decide_screened(room, message, PUBLISH_VERDICT)
            published += 1
    # Published already (a 1:1) but not yet read: its job may have been lost
    # with its process; score_overdue hands it to the model again.
    Message.objects.filter(screening=Message.Screening.WAITING, screen_by__lte=now).exclude(
        status=Message.Status.SCREENING
    ).update(screening=Message.Screening.OVERDUE)
    return published


def score_overdue(*, limit: int = 200) -> int:
    """Hand the messages published unscreened to the model again (the workers
    may be back); each job does nothing if another already read it."""
    overdue = list(
        Message.objects.filter(screening=Message.Screening.OVERDUE)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for message_id in overdue:
        with transaction.atomic():
            tasks.defer_on_commit(SCREENING_JOB, message_id=message_id)
    return len(overdue)


def screening_backlog(*, now: datetime) -> dict[str, int]:
    """What waits for the model: for the health check and the coordinators."""
    return {
        "waiting": Message.objects.filter(status=Message.Status.SCREENING).count(),
        "past_deadline": Message.objects.filter(
            status=Message.Status.SCREENING, screen_by__lte=now
        ).count(),
        "published_unscreened": Message.objects.filter(screening=Message.Screening.OVERDUE).count(),
    }


def _refuse_if_limited(decision: ratelimit.Decision) -> None:
    if not decision.allowed:
        raise ChatError(
            "rate_limited",
            "You're sending messages quickly. Please wait a moment.",
            retry_after=decision.retry_after,
        )


def _earlier_send(author: User, client_id: uuid.UUID, room_id: int) -> SendResult | None:
    earlier = (
        Message.objects.select_related("author").filter(author=author, client_id=client_id).first()
    )
    if earlier is None:
        return None
    if earlier.room_id != room_id:
        raise ChatError("invalid", "That client_id belongs to another message.")
    _room_for(author, room_id)  # she may no longer read the room: forbidden
    return SendResult(status=earlier.status, message=message_payload(earlier), created=False)


def _check_can_post(context: RoomContext) -> Session | None:
    """Raise unless the person may post now; returns the open session, if any."""
    room, access = context.room, context.access
    if not access.can_post:
        raise ChatError("forbidden", "You can read this chat but not post in it.")
    if access.read_only:
        raise ChatError("read_only", "This chat has ended. You can still read it.")
    if room.is_direct:
        return None
    session = current_session(room)
    if room.always_open:
        return session
    if session is None:
        raise ChatError(
            "session_closed", "The group is closed just now. You can post when a session opens."
        )
    return session


def _publish(room: Room, message: Message) -> None:
    """Give `message` the room's next seq; the caller holds the room lock."""
    room.last_seq += 1
    message.seq = room.last_seq
    message.status = Message.Status.PUBLISHED
    message.published_at = timezone.now()


def _count_attendance(session: Session, user: User) -> None:
    attendance, _ = Attendance.objects.get_or_create(session=session, user=user)
    Attendance.objects.filter(pk=attendance.pk).update(messages_posted=F("messages_posted") + 1)


# --- Joining, reading --------------------------------------------------------------


@dataclass(frozen=True)
class JoinResult:
    room_id: int
    access: policy.RoomAccess
    messages: list[dict[str, Any]]
    held: list[dict[str, Any]]
    more: bool
    session_open: bool
    read_only: bool
    summary: dict[str, Any] = field(default_factory=dict)


def join_room(
    *, user: User, room_id: int, after_seq: int | None, reason: str = "", watch: bool = False
) -> JoinResult:
    """Open a room for `user`: what she missed (or the latest), and what is held.

    With `after_seq`, the visible messages after it, at most 100 (`more` when
    there are more); without, the latest 50 (`more` when there are earlier
    ones). A coordinator opening someone else's 1:1 must give a reason, and
    the access is written to the audit log. Joining while a session is open
    records attendance, unless she is only watching (a room list).
    """
    with transaction.atomic():
        context = _room_for(user, room_id)
        room, access = context.room, context.access
        if access.needs_reason:
            if not reason.strip():
                raise ChatError(
                    "reason_required",
                    "This is a private 1:1 chat. Say why you are opening it; this is recorded.",
                )
            record_audit(
                actor=user,
                action=ChatAuditAction.DIRECT_CHAT_OPENED,
                target=room.pairing,
                reason=reason.strip(),
            )
        page = visible_messages(
            room=room,
            viewer=user,
            access=access,
            after_seq=after_seq,
            limit=JOIN_LATEST if after_seq is None else HISTORY_LIMIT,
        )
        session = None if room.is_direct else current_session(room)
        if session is not None and context.membership is not None and not watch:
            Attendance.objects.get_or_create(session=session, user=user)
        return JoinResult(
            room_id=room.pk,
            access=access,
            messages=page.messages,
            held=held_messages(room=room, viewer=user, access=access),
            more=page.more,
            session_open=_is_open(room, session),
            read_only=access.read_only,
            summary=room_summary(room=room, user=user),
        )


def _is_open(room: Room, session: Session | None) -> bool:
    if room.is_direct:
        return room.pairing.ended_at is None
    return room.always_open or session is not None


def record_attendance(*, user: User, room_id: int) -> None:
    """She was in the room when its session opened: she attended."""
    with transaction.atomic():
        context = _room_for(user, room_id)
        session = None if context.room.is_direct else current_session(context.room)
        if session is not None and context.membership is not None:
            Attendance.objects.get_or_create(session=session, user=user)


def history(
    *,
    user: User,
    room_id: int,
    before_seq: int | None,
    after_seq: int | None,
    limit: int,
    opened_with_reason: bool = False,
) -> MessagePage:
    """A page of the room's visible messages, before or after a seq.

    Someone else's 1:1 is readable only once opened with a stated reason
    (`join_room`, audited): `opened_with_reason` says this socket did so.
    """
    context = _room_for(user, room_id)
    if context.access.needs_reason and not opened_with_reason:
        raise ChatError(
            "reason_required",
            "This is a private 1:1 chat. Open it with a reason first; this is recorded.",
        )
    return visible_messages(
        room=context.room,
        viewer=user,
        access=context.access,
        before_seq=before_seq,
        after_seq=after_seq,
        limit=limit,
    )


def check_can_type(*, user: User, room_id: int) -> None:
    """Typing is for people who may post here now: a muted member may not."""
    if active_mute(user=user, room_id=room_id) is not None:
        raise ChatError("muted", "You can't post here for now.")


def mark_read(*, user: User, room_id: int, seq: int) -> None:
    """Move her read position forward to `seq` (never back, never past the end)."""
    context = _room_for(user, room_id)
    if context.membership is None:
        return
    Membership.objects.filter(pk=context.membership.pk, last_read_seq__lt=seq).update(
        last_read_seq=min(seq, context.room.last_seq)
    )


def room_page(*, user: User, room_id: int) -> RoomContext:
    """The room and her access to it, for its page; `forbidden` if she may not read it."""
    return _room_for(user, room_id)


# --- Messages after the fact -----------------------------------------------------


def _message_for(
    user: User, message_id: int, *, lock_room: bool = False
) -> tuple[Message, RoomContext]:
    message = Message.objects.select_related("author").filter(pk=message_id).first()
    if message is None:
        raise ChatError("forbidden", "That message doesn't exist or isn't yours to change.")
    try:
        context = _room_for(user, message.room_id, lock=lock_room)
    except ChatError:
        raise ChatError(
            "forbidden", "That message doesn't exist or isn't yours to change."
        ) from None
    if lock_room:
        message.refresh_from_db()
    if policy.visible_message(user.pk, context.access, message_payload(message)) is None:
        # A held message she may not see looks exactly like one that does not exist.
        raise ChatError("forbidden", "That message doesn't exist or isn't yours to change.")
    return message, context


def _announce_update(message: Message, *, flag: str | None = None) -> None:
    broadcast_on_commit(
        room_group(message.room_id),
        {
            "type": "chat.message_update",
            "room": message.room_id,
            "message": message_payload(message, flag=flag),
        },
    )


def delete_message(*, actor: User, message_id: int) -> dict[str, Any]:
    """The author removes her own message; it keeps its seq and shows as deleted."""
    with transaction.atomic():
        message, _ = _message_for(actor, message_id)
        if not policy.can_delete_message(actor, message):
            raise ChatError("forbidden", "That message doesn't exist or isn't yours to change.")
        message.status = Message.Status.DELETED
        message.save(update_fields=["status"])
        _announce_update(message)
    return message_payload(message)


def release_held_message(*, actor: User, message_id: int) -> dict[str, Any]:
    """Publish a held message: it gets the room's next seq and reaches the room."""
    with transaction.atomic():
        message, context = _message_for(actor, message_id, lock_room=True)
        if not policy.can_decide_held_message(
            actor, context.access, message, contact_hold=is_contact_hold(message)
        ):
            raise ChatError("forbidden", "That message isn't waiting for your review.")
        _publish(context.room, message)
        message.save(update_fields=["seq", "status", "published_at"])
        context.room.save(update_fields=["last_seq"])
        record_audit(actor=actor, action=ChatAuditAction.MESSAGE_RELEASED, target=message)
        payload = message_payload(message)
        broadcast_on_commit(
            room_group(message.room_id),
            {"type": "chat.message", "room": message.room_id, "message": payload},
        )
    return payload


def block_held_message(*, actor: User, message_id: int) -> dict[str, Any]:
    """Keep a held message from the room for good (it stays stored for review)."""
    with transaction.atomic():
        message, context = _message_for(actor, message_id, lock_room=True)
        if not policy.can_decide_held_message(
            actor, context.access, message, contact_hold=is_contact_hold(message)
        ):
            raise ChatError("forbidden", "That message isn't waiting for your review.")
        message.status = Message.Status.BLOCKED
        message.save(update_fields=["status"])
        record_audit(actor=actor, action=ChatAuditAction.MESSAGE_BLOCKED, target=message)
        _announce_update(message)
    return message_payload(message)


def hide_message(*, actor: User, message_id: int) -> dict[str, Any]:
    """Hide a published message from members; it keeps its seq and shows as removed."""
    with transaction.atomic():
        message, context = _message_for(actor, message_id)
        if not policy.can_hide_or_restore(actor, context.access, message, hide=True):
            raise ChatError("forbidden", "You can't hide that message.")
        message.status = Message.Status.HIDDEN
        message.save(update_fields=["status"])
        record_audit(actor=actor, action=ChatAuditAction.MESSAGE_HIDDEN, target=message)
        _announce_update(message)
    return message_payload(message)


def restore_message(*, actor: User, message_id: int) -> dict[str, Any]:
    """Show a hidden message to the room again."""
    with transaction.atomic():
        message, context = _message_for(actor, message_id)
        if not policy.can_hide_or_restore(actor, context.access, message, hide=False):
            raise ChatError("forbidden", "You can't restore that message.")
        message.status = Message.Status.PUBLISHED
        message.save(update_fields=["status"])
        record_audit(actor=actor, action=ChatAuditAction.MESSAGE_RESTORED, target=message)
        _announce_update(message)
    return message_payload(message)


def hide_message_automatically(*, message_id: int, reason: str) -> None:
    """Out of staffed hours, enough reports hide a message until someone reviews it."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.status != Message.Status.PUBLISHED:
            return
        message.status = Message.Status.HIDDEN
        message.save(update_fields=["status"])
        record_audit(
            actor=None, action=ChatAuditAction.MESSAGE_HIDDEN, target=message, reason=reason
        )
        _announce_update(message)


def report(*, reporter: User, message_id: int, reason: str, note: str = "") -> None:
    """Report a message she can see (not her own). Moderation decides what follows;
    a message it says to hide (out of staffed hours) is hidden in the same
    transaction."""
    from moderation.services import report_message

    with transaction.atomic():
        message, context = _message_for(reporter, message_id)
        shown = policy.visible_message(reporter.pk, context.access, message_payload(message))
        if shown is None or message.author_id == reporter.pk:
            raise ChatError("forbidden", "That message doesn't exist or you can't report it.")
        outcome = report_message(reporter=reporter, message=message, reason=reason, note=note)
        if outcome.hide_message:
            hide_message_automatically(message_id=message.pk, reason=outcome.hide_reason)


# --- Sessions ---------------------------------------------------------------------


def _announce_session(room: Room, is_open: bool) -> None:
    broadcast_on_commit(
        room_group(room.pk), {"type": "chat.session", "room": room.pk, "open": is_open}
    )


def scheduled_end(room: Room, at: datetime) -> datetime | None:
    """The end of the weekly slot `at` falls in (or is just before), if any."""
    local = timezone.localtime(at)
    for slot in room.schedule.all():
        for days_back in (0, 1):  # a slot may run past midnight
            day = local.date() - timedelta(days=days_back)
            if day.weekday() != slot.weekday:
                continue
            start = timezone.make_aware(datetime.combine(day, slot.starts_at))
            end = start + timedelta(minutes=slot.duration_minutes)
            if start - EARLY_OPENING <= local < end:
                return end
    return None


def open_session(*, actor: User, room_id: int, now: datetime | None = None) -> Session:
    """Open the room's session; opening an open one returns it unchanged.

    On schedule it closes at the slot's end; otherwise after
    VILLAGE_OFF_SCHEDULE_SESSION_MINUTES.
    """
    now = now or timezone.now()
    with transaction.atomic():
        context = _room_for(actor, room_id, lock=True)
        room = context.room
        if not policy.can_manage_session(context.access, room):
            raise ChatError(
                "forbidden", "Only the room's lead volunteers can open or close its sessions."
            )
        existing = current_session(room)
        if existing is not None:
            return existing
        end = scheduled_end(room, now)
        session = Session.objects.create(
            room=room,
            opened_by=actor,
            opened_at=now,
            on_schedule=end is not None,
            closes_at=end or now + timedelta(minutes=settings.VILLAGE_OFF_SCHEDULE_SESSION_MINUTES),
        )
        if context.membership is not None:
            Attendance.objects.create(session=session, user=actor)
        _announce_session(room, True)
        notices.session_opened_on_commit(room=room, opener=actor)
    return session


def close_session(
    *, actor: User | None, room_id: int, now: datetime | None = None
) -> Session | None:
    """Close the room's open session (`actor` None: the scheduler). None if none was open."""
    now = now or timezone.now()
    with transaction.atomic():
        if actor is None:
            room = Room.objects.select_for_update(no_key=True).get(pk=room_id)
        else:
            context = _room_for(actor, room_id, lock=True)
            room = context.room
            if not policy.can_manage_session(context.access, room):
                raise ChatError(
                    "forbidden", "Only the room's lead volunteers can open or close its sessions."
                )
        session = current_session(room)
        if session is None:
            return None
        if has_unacknowledged_red(room_id=room.pk):
            raise ChatError(
                "red_flag_open",
                "Someone in this session may need help now: a RED flag hasn't been "
                "acknowledged yet. It can close once a volunteer or coordinator has.",
            )
        session.closed_at = now
        session.closed_by = actor
        session.save(update_fields=["closed_at", "closed_by"])
        _announce_session(room, False)
    return session


def close_due_sessions(*, now: datetime) -> list[Session]:
    """Close every session whose time has passed (the periodic job)."""
    closed = []
    due = Session.objects.filter(closed_at__isnull=True, closes_at__lte=now)
    for room_id in due.values_list("room_id", flat=True):
        try:
            session = close_session(actor=None, room_id=room_id, now=now)
        except ChatError:
            # A RED flag is waiting: the session stays open and coordinators are told.
            broadcast(
                coordinators_group(),
                {"type": "chat.session_held_open", "room": room_id},
            )
            continue
        if session is not None:
            closed.append(session)
    return closed


@dataclass(frozen=True)
class SessionsClosed:
    """Sessions closed because the person who opened them may no longer lead."""

    closed: list[Session] = field(default_factory=list)
    # Rooms whose session stays open because a RED flag in it is unacknowledged.
    held_open: list[int] = field(default_factory=list)


def close_sessions_opened_by(*, opener: User, now: datetime | None = None) -> SessionsClosed:
    """Close every open group session `opener` opened: she was paused, left, lost
    her DBS clearance or her volunteer role, and a session must not run on her
    say-so. A session with an unacknowledged RED flag stays open (SAFEGUARDING.md:
    it cannot close then) and coordinators are told, as for a scheduled end."""
    now = now or timezone.now()
    result = SessionsClosed()
    with transaction.atomic():
        room_ids = list(
            Session.objects.filter(opened_by=opener, closed_at__isnull=True).values_list(
                "room_id", flat=True
            )
        )
        for room_id in room_ids:
            try:
                # A savepoint each, so that a refusal leaves the others to close.
                with transaction.atomic():
                    session = close_session(actor=None, room_id=room_id, now=now)
            except ChatError:
                result.held_open.append(room_id)
                broadcast_on_commit(
                    coordinators_group(), {"type": "chat.session_held_open", "room": room_id}
                )
                continue
            if session is not None:
                result.closed.append(session)
    return result


def close_sessions_of_uncleared_openers(*, now: datetime) -> SessionsClosed:
    """The periodic twin of `close_sessions_opened_by`: a volunteer's DBS check
    can expire with nobody pressing a button, and her open session closes then."""
    result = SessionsClosed()
    openers = (
        User.objects.filter(
            pk__in=Session.objects.filter(closed_at__isnull=True).values("opened_by")
        )
        .select_related("volunteer_record")
        .order_by("pk")
    )
    for opener in openers:
        if policy.can_lead(opener, today=timezone.localdate(now)):
            continue
        done = close_sessions_opened_by(opener=opener, now=now)
        result.closed.extend(done.closed)
        result.held_open.extend(done.held_open)
    return result


@dataclass(frozen=True)
class LeadPlacesLeft:
    """What a volunteer whose role changed leaves for a coordinator to hand over."""

    sessions: SessionsClosed
    # Group rooms she no longer leads, and those of them with no lead left now.
    rooms_left: list[Room] = field(default_factory=list)
    rooms_without_lead: list[Room] = field(default_factory=list)
    # 1:1 chats she has left; each stays open, with its history, for a new volunteer.
    pairings_to_hand_over: list[Pairing] = field(default_factory=list)


def leave_lead_places(*, actor: User, person: User, reason: str) -> LeadPlacesLeft:
    """She is no longer a volunteer: take her out of every room she led and every
    1:1 chat she ran, and close the sessions she opened.

    Her pairings are NOT ended: a planned ending makes the mum's chat read-only,
    and the existing hand-over (`hand_over_pairing`) gives an active pairing,
    its history and its planned ending to a new volunteer. Until then the chat
    stays open to the mum, her flags still reach the coordinators, and the
    pairing is listed for hand-over on the volunteers page. Call inside the
    transaction of the role change; broadcasts go after its commit.
    """
    _require(policy.can_manage_rooms(actor))
    with transaction.atomic():
        sessions = close_sessions_opened_by(opener=person)
        now = timezone.now()
        places = list(
            Membership.objects.select_for_update()
            .select_related("room")
            .filter(user=person, role=Membership.Role.LEAD, removed_at__isnull=True)
            .order_by("room__name", "pk")
        )
        rooms_left, rooms_without_lead = [], []
        for membership in places:
            membership.removed_at = now
            membership.save(update_fields=["removed_at"])
            room = membership.room
            if not room.is_direct:
                rooms_left.append(room)
                record_audit(
                    actor=actor,
                    action=ChatAuditAction.LEAD_UNASSIGNED,
                    target=person,
                    reason=reason,
                    details={"room": room.pk},
                )
                if not Membership.objects.filter(
                    room=room, role=Membership.Role.LEAD, removed_at__isnull=True
                ).exists():
                    rooms_without_lead.append(room)
            broadcast_on_commit(
                user_group(person.pk), {"type": "chat.room_removed", "room": room.pk}
            )
        pairings = list(
            Pairing.objects.filter(volunteer=person, ended_at__isnull=True)
            .select_related("member")
            .order_by("created_at")
        )
    return LeadPlacesLeft(
        sessions=sessions,
        rooms_left=rooms_left,
        rooms_without_lead=rooms_without_lead,
        pairings_to_hand_over=pairings,
    )


# --- Rooms and people (coordinators) -------------------------------------------------


def create_room(
    *,
    actor: User,
    name: str,
    description: str = "",
    capacity: int = 12,
    always_open: bool = False,
    allows_join_requests: bool = False,
    schedule: Sequence[tuple[int, time, int]] = (),
) -> Room:
    """A new group room; `schedule` is (weekday, start time, minutes) slots."""
    _require(policy.can_manage_rooms(actor))
    with transaction.atomic():
        room = Room.objects.create(
            kind=Room.Kind.GROUP,
            name=name,
            description=description,
            capacity=capacity,
            always_open=always_open,
            allows_join_requests=allows_join_requests,
        )
        ScheduleSlot.objects.bulk_create(
            ScheduleSlot(room=room, weekday=day, starts_at=start, duration_minutes=minutes)
            for day, start, minutes in schedule
        )
        record_audit(actor=actor, action=ChatAuditAction.ROOM_CREATED, target=room)
    return room


def update_room(*, actor: User, room: Room, changed: list[str]) -> None:
    """Save a room's edited fields (name, description, capacity, always open, requests)."""
    _require(policy.can_manage_rooms(actor) and not room.is_direct)
    editable = {"name", "description", "capacity", "always_open", "allows_join_requests"}
    fields = [f for f in changed if f in editable]
    if not fields:
        return
    with transaction.atomic():
        room.save(update_fields=fields)
        record_audit(
            actor=actor,
            action=ChatAuditAction.ROOM_CHANGED,
            target=room,
            details={"fields": fields},
        )
        if "always_open" in fields:
            _announce_session(room, room.always_open or current_session(room) is not None)


def set_schedule(*, actor: User, room_id: int, slots: list[tuple[int, time, int]]) -> None:
    """Replace a group room's weekly slots: (weekday, start time, minutes)."""
    _require(policy.can_manage_rooms(actor))
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room_id, kind=Room.Kind.GROUP)
        before = [(s.weekday, s.starts_at, s.duration_minutes) for s in room.schedule.all()]
        if sorted(before) == sorted(slots):
            return
        room.schedule.all().delete()
        ScheduleSlot.objects.bulk_create(
            ScheduleSlot(room=room, weekday=day, starts_at=start, duration_minutes=minutes)
            for day, start, minutes in slots
        )
        record_audit(
            actor=actor,
            action=ChatAuditAction.ROOM_CHANGED,
            target=room,
            details={
                "schedule": [f"{day} {start:%H:%M} {minutes}" for day, start, minutes in slots]
            },
        )


def _add_to_room(room: Room, user: User, role: str) -> Membership:
    membership, created = Membership.objects.get_or_create(
        room=room, user=user, defaults={"role": role}
    )
    if not created:
        membership.role = role
        membership.removed_at = None
        membership.save(update_fields=["role", "removed_at"])
    broadcast_on_commit(
        user_group(user.pk), {"type": "chat.room_added", "room": room_summary(room=room, user=user)}
    )
    return membership


def enrol_member(*, actor: User, room_id: int, member: User) -> Membership:
    """Enrol a member in a group room, within its capacity."""
    _require(policy.can_manage_rooms(actor))
    if not policy.can_be_enrolled(member):
        raise ChatError("invalid", "Only members can be enrolled in a room.")
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room_id, kind=Room.Kind.GROUP)
        enrolled = room.memberships.filter(
            role=Membership.Role.MEMBER, removed_at__isnull=True
        ).exclude(user=member)
        if enrolled.count() >= room.capacity:
            raise ChatError("invalid", f"{room.name} is full ({room.capacity} members).")
        membership = _add_to_room(room, member, Membership.Role.MEMBER)
        record_audit(
            actor=actor,
            action=ChatAuditAction.MEMBER_ENROLLED,
            target=member,
            details={"room": room.pk},
        )
    return membership


def assign_lead(*, actor: User, room_id: int, volunteer: User) -> Membership:
    _require(policy.can_manage_rooms(actor))
    if not policy.can_lead(volunteer):
        raise ChatError(
            "invalid",
            "Only coordinators, and volunteers who are active with a DBS check in date, "
            "can lead a room.",
        )
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room_id, kind=Room.Kind.GROUP)
        membership = _add_to_room(room, volunteer, Membership.Role.LEAD)
        record_audit(
            actor=actor,
            action=ChatAuditAction.LEAD_ASSIGNED,
            target=volunteer,
            details={"room": room.pk},
        )
    return membership


def remove_from_room(*, actor: User, room_id: int, person: User, reason: str) -> None:
    """Take someone out of a group room (member or lead); her sockets leave it at once."""
    _require(policy.can_manage_rooms(actor))
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("room")
            .filter(
                room_id=room_id, user=person, removed_at__isnull=True, room__kind=Room.Kind.GROUP
            )
            .first()
        )
        if membership is None:
            raise ChatError("invalid", "They are not in that room.")
        membership.removed_at = timezone.now()
        membership.save(update_fields=["removed_at"])
        action = (
            ChatAuditAction.LEAD_UNASSIGNED
            if membership.role == Membership.Role.LEAD
            else ChatAuditAction.MEMBER_REMOVED
        )
        record_audit(
            actor=actor, action=action, target=person, reason=reason, details={"room": room_id}
        )
        broadcast_on_commit(user_group(person.pk), {"type": "chat.room_removed", "room": room_id})


def request_to_join(*, member: User, room_id: int) -> JoinRequest:
    with transaction.atomic():
        room = Room.objects.filter(pk=room_id).first()
        if room is None or not policy.can_request_to_join(member, room):
            raise ChatError("forbidden", NOT_AVAILABLE)
        if room.memberships.filter(user=member, removed_at__isnull=True).exists():
            raise ChatError("invalid", "You are already in this room.")
        request, _ = JoinRequest.objects.get_or_create(
            room=room, member=member, state=JoinRequest.State.PENDING
        )
    return request


def decide_join_request(*, actor: User, request_id: int, approve: bool) -> JoinRequest:
    _require(policy.can_manage_rooms(actor))
    with transaction.atomic():
        request = JoinRequest.objects.select_for_update().get(pk=request_id)
        if request.state != JoinRequest.State.PENDING:
            raise ChatError("invalid", "That request has already been decided.")
        if approve:
            enrol_member(actor=actor, room_id=request.room_id, member=request.member)
        request.state = JoinRequest.State.APPROVED if approve else JoinRequest.State.DECLINED
        request.decided_at = timezone.now()
        request.decided_by = actor
        request.save(update_fields=["state", "decided_at", "decided_by"])
        record_audit(
            actor=actor,
            action=ChatAuditAction.JOIN_REQUEST_APPROVED
            if approve
            else ChatAuditAction.JOIN_REQUEST_DECLINED,
            target=request.member,
            details={"room": request.room_id},
        )
    return request


# --- Pairings ------------------------------------------------------------------------


def _check_caseload(volunteer: User) -> None:
    """Refuse a volunteer at her caseload cap. Lock her row first: two coordinators
    pairing her at once must not both pass."""
    User.objects.select_for_update().get(pk=volunteer.pk)
    active = Pairing.objects.filter(volunteer=volunteer, ended_at__isnull=True).count()
    cap = volunteer.volunteer_record.cap
    if active >= cap:
        raise ChatError(
            "invalid",
            f"{volunteer.display_name} already has {active} active 1:1 chats (her most is {cap}).",
        )


def _direct_room_name(member: User, volunteer: User) -> str:
    return f"{member.display_name} & {volunteer.display_name}"[
        : Room._meta.get_field("name").max_length
    ]


def pair(*, actor: User, member: User, volunteer: User, planned_end: date | None = None) -> Pairing:
    """Pair a member with a volunteer in a new 1:1 chat, within the volunteer's
    caseload; the pairing is planned to end on `planned_end` (by default
    VILLAGE_PAIRING_WEEKS from today)."""
    _require(policy.can_manage_rooms(actor))
    if not policy.can_be_paired(member, volunteer):
        raise ChatError("invalid", _why_not_paired(member, volunteer))
    today = timezone.localdate()
    planned_end = planned_end or today + timedelta(weeks=settings.VILLAGE_PAIRING_WEEKS)
    if planned_end <= today:
        raise ChatError("invalid", "The planned ending must be after today.")
    with transaction.atomic():
        _check_caseload(volunteer)
        if Pairing.objects.filter(member=member, ended_at__isnull=True).exists():
            raise ChatError("invalid", f"{member.display_name} already has a volunteer.")
        room = Room.objects.create(
            kind=Room.Kind.DIRECT, name=_direct_room_name(member, volunteer), capacity=1
        )
        pairing = Pairing.objects.create(
            member=member, volunteer=volunteer, room=room, created_by=actor, planned_end=planned_end
        )
        _add_to_room(room, member, Membership.Role.MEMBER)
        _add_to_room(room, volunteer, Membership.Role.LEAD)
        record_audit(
            actor=actor,
            action=ChatAuditAction.PAIRING_CREATED,
            target=pairing,
            details={"planned_end": planned_end.isoformat()},
        )
    return pairing


def _why_not_paired(member: User, volunteer: User) -> str:
    if volunteer.role == Role.VOLUNTEER and member.role == Role.MEMBER:
        why = why_not_cleared(volunteer)
        if why:
            return f"{volunteer.display_name} can't be paired just now. {why}"
    return "A pairing is between a member and a volunteer who is active with a DBS check in date."


def hand_over_pairing(*, actor: User, pairing_id: int, volunteer: User, reason: str) -> Pairing:
    """Give a 1:1 chat to a new volunteer (her earlier volunteer paused or left).

    The chat, its history and its planned ending stay; the new volunteer takes
    the earlier one's place in it, and the earlier one's sockets leave it.
    """
    _require(policy.can_manage_rooms(actor))
    if not reason.strip():
        raise ChatError("invalid", "Please say why the pairing is handed over.")
    with transaction.atomic():
        pairing = Pairing.objects.select_for_update().select_related("member").get(pk=pairing_id)
        if pairing.ended_at is not None:
            raise ChatError("invalid", "That pairing has ended.")
        if volunteer.pk == pairing.volunteer_id:
            raise ChatError("invalid", f"{volunteer.display_name} already has this pairing.")
        if not policy.can_be_paired(pairing.member, volunteer):
            raise ChatError("invalid", _why_not_paired(pairing.member, volunteer))
        _check_caseload(volunteer)
        if Pairing.objects.filter(
            member=pairing.member, volunteer=volunteer, ended_at__isnull=True
        ).exists():
            raise ChatError("invalid", "They are already paired.")
        earlier = pairing.volunteer_id
        Membership.objects.filter(room_id=pairing.room_id, user_id=earlier).update(
            removed_at=timezone.now()
        )
        pairing.volunteer = volunteer
        pairing.save(update_fields=["volunteer"])
        room = pairing.room
        room.name = _direct_room_name(pairing.member, volunteer)
        room.save(update_fields=["name"])
        _add_to_room(room, volunteer, Membership.Role.LEAD)
        record_audit(
            actor=actor,
            action=ChatAuditAction.PAIRING_HANDED_OVER,
            target=pairing,
            reason=reason.strip(),
            details={"from": earlier, "to": volunteer.pk},
        )
        broadcast_on_commit(user_group(earlier), {"type": "chat.room_removed", "room": room.pk})
    return pairing


def end_pairing(*, actor: User, pairing_id: int, note: str = "") -> Pairing:
    """A planned ending: the chat becomes read-only for both and stays readable."""
    _require(policy.can_manage_rooms(actor))
    with transaction.atomic():
        pairing = Pairing.objects.select_for_update().get(pk=pairing_id)
        if pairing.ended_at is not None:
            raise ChatError("invalid", "That pairing has already ended.")
        if has_unacknowledged_red(room_id=pairing.room_id):
            raise ChatError(
                "red_flag_open",
                "A RED flag in this chat hasn't been acknowledged yet. Please look at it first.",
            )
        pairing.ended_at = timezone.now()
        pairing.ended_by = actor
        pairing.ending_note = note
        pairing.save(update_fields=["ended_at", "ended_by", "ending_note"])
        record_audit(actor=actor, action=ChatAuditAction.PAIRING_ENDED, target=pairing, reason=note)
        broadcast_on_commit(
            room_group(pairing.room_id),
            {"type": "chat.room_update", "room": pairing.room_id, "read_only": True},
        )
    return pairing
