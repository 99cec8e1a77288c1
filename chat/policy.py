"""Who may do what in rooms. Services, consumers, views and templates ask here.

Every decision about reading, posting, sessions, pairings and held messages
is made in this module and nowhere else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Q

from accounts.models import Role, User
from accounts.policy import cleared_volunteers_q, is_active_person, is_cleared_volunteer
from chat.models import Membership, Message, Room


@dataclass(frozen=True)
class RoomAccess:
    """What one person may do in one room, decided once per request."""

    room_id: int
    can_read: bool = False
    # The room's volunteers and coordinators: see held messages, act on them.
    is_room_staff: bool = False
    # Allowed to post here at all (sessions and endings are checked separately).
    can_post: bool = False
    # A coordinator opening a 1:1 she is not part of must say why (audited).
    needs_reason: bool = False
    # A 1:1 after its planned ending.
    read_only: bool = False


NO_ACCESS = RoomAccess(room_id=0)


def room_access(user: User, room: Room, membership: Membership | None) -> RoomAccess:
    """Decide `user`'s access to `room`; `membership` is hers in it, if any."""
    if not is_active_person(user):
        return NO_ACCESS
    member_here = membership is not None and membership.removed_at is None
    lead_here = member_here and membership is not None and membership.role == Membership.Role.LEAD
    coordinator = user.role == Role.COORDINATOR
    if lead_here and not can_lead(user):
        # A lead's place is for people who may lead. A volunteer whose role was
        # changed to member, who is paused or left, or whose DBS check expired,
        # keeps neither the staff's view of the rooms she led (held messages,
        # flags, hide and release) nor the private 1:1 chats she ran, until a
        # coordinator hands them over (volunteers.services, the handover list).
        member_here = lead_here = False
    # Coordinators are staff in every room, also where they are enrolled (a
    # member who became a coordinator keeps her membership row).
    staff_here = coordinator or lead_here
    if room.is_direct:
        pairing = getattr(room, "pairing", None)
        ended = pairing is not None and pairing.ended_at is not None
        if member_here:
            return RoomAccess(
                room_id=room.pk,
                can_read=True,
                is_room_staff=staff_here,
                can_post=True,
                read_only=ended,
            )
        if coordinator:
            # Readable with a stated reason; never hers to post in.
            return RoomAccess(
                room_id=room.pk,
                can_read=True,
                is_room_staff=True,
                needs_reason=True,
                read_only=ended,
            )
        return NO_ACCESS
    if member_here or coordinator:
        return RoomAccess(room_id=room.pk, can_read=True, is_room_staff=staff_here, can_post=True)
    return NO_ACCESS


def group_rooms_read_without_place_q(user: User) -> Q:
    """The group rooms `room_access` lets her read without a place in them, as a
    filter on rooms (her room list): every group room for a coordinator, none
    for anyone else."""
    if user.role == Role.COORDINATOR:
        return Q(kind=Room.Kind.GROUP)
    return Q(pk__in=[])


def can_manage_rooms(user: User) -> bool:
    """Create rooms, enrol and remove members, assign leads, pair, end pairings."""
    return is_active_person(user) and user.role == Role.COORDINATOR


def can_manage_session(access: RoomAccess, room: Room) -> bool:
    """Open and close sessions: the room's lead volunteers and coordinators."""
    return not room.is_direct and not room.always_open and access.is_room_staff


def can_be_enrolled(user: User) -> bool:
    return is_active_person(user) and user.role == Role.MEMBER


def can_lead(user: User, *, today: date | None = None) -> bool:
    """Lead rooms and sessions: coordinators, and volunteers who are active with a
    DBS check in date (a paused volunteer or one whose check expired keeps her
    place on paper until a coordinator hands it over, but cannot act in it).
    `today` is the periodic job's clock."""
    if not is_active_person(user):
        return False
    return user.role == Role.COORDINATOR or is_cleared_volunteer(user, today=today)


def can_lead_q(*, today: date | None = None) -> Q:
    """`can_lead` as a query filter on users (the lead and hand-over pickers)."""
    return cleared_volunteers_q(today=today) | Q(
        role=Role.COORDINATOR, is_active=True, anonymised_at__isnull=True
    )


def can_request_to_join(user: User, room: Room) -> bool:
    return can_be_enrolled(user) and not room.is_direct and room.allows_join_requests


def can_be_paired(member: User, volunteer: User) -> bool:
    return (
        is_active_person(member) and member.role == Role.MEMBER and is_cleared_volunteer(volunteer)
    )


def can_delete_message(user: User, message: Message) -> bool:
    return message.author_id == user.pk and message.status in (
        Message.Status.PUBLISHED,
        Message.Status.SCREENING,
        Message.Status.HELD,
    )


def can_decide_held_message(
    user: User, access: RoomAccess, message: Message, *, contact_hold: bool
) -> bool:
    """Release or block a held message: the room's staff, never on their own;
    holds for contact details are for coordinators to decide."""
    if contact_hold and user.role != Role.COORDINATOR:
        return False
    return (
        access.is_room_staff
        and message.status == Message.Status.HELD
        and message.author_id != user.pk
    )


def can_hide_or_restore(user: User, access: RoomAccess, message: Message, *, hide: bool) -> bool:
    """Hide a published message or restore a hidden one: the room's staff, never their own."""
    wanted = Message.Status.PUBLISHED if hide else Message.Status.HIDDEN
    return access.is_room_staff and message.status == wanted and message.author_id != user.pk


class MessageForm(enum.Enum):
    """The forms a message takes for its viewers (each is encoded once per broadcast)."""

    FULL = "full"  # the room's staff: everything, with the safeguarding flag
    PLAIN = "plain"  # without the flag
    REDACTED = "redacted"  # without the flag and the body (hidden or deleted)


def message_form(viewer_id: int, access: RoomAccess, message: dict[str, Any]) -> MessageForm | None:
    """Which form of `message` this viewer may see, or None if she may not see it.

    Held and blocked messages reach only their author and the room's staff;
    hidden and deleted ones reach members without their body.
    """
    if access.is_room_staff:
        return MessageForm.FULL
    # Never published (held, blocked, or deleted or hidden while held): only
    # its author and the room's staff may know it exists.
    if message["seq"] is None:
        return MessageForm.PLAIN if message["author"]["id"] == viewer_id else None
    if message["status"] in (Message.Status.HIDDEN, Message.Status.DELETED):
        return MessageForm.REDACTED
    return MessageForm.PLAIN


def shape_message(message: dict[str, Any], form: MessageForm) -> dict[str, Any]:
    if form is MessageForm.FULL or (form is MessageForm.PLAIN and "flag" not in message):
        return message
    shaped = {k: v for k, v in message.items() if k != "flag"}
    if form is MessageForm.REDACTED:
        shaped["body"] = None
    return shaped


def visible_message(viewer_id: int, access: RoomAccess, message: dict[str, Any]) -> dict | None:
    """The form of `message` this viewer may see, or None if she may not see it."""
    form = message_form(viewer_id, access, message)
    return None if form is None else shape_message(message, form)
