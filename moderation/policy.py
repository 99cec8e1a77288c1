"""Who may do what in moderation. Views, consumers and templates ask here; nothing else decides."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

from django.db.models import Q

from accounts.models import Role, User
from accounts.policy import (
    can_use_staff_pages,
    has_mfa,
    is_active_person,
    is_cleared_volunteer,
    requires_mfa,
    why_not_cleared_for_her,
)

if TYPE_CHECKING:
    from accounts.policy import AnyUser
    from moderation.models import Flag


def can_view_audit_log(user: AnyUser) -> bool:
    return can_use_staff_pages(user)


def can_view_queue(user: AnyUser) -> TypeGuard[User]:
    """Coordinators see every flag; volunteers the flags of the rooms they lead.

    A volunteer must be cleared to lead NOW (active, DBS check in date): the
    same question her socket asks (chat.policy.can_lead). A paused or lapsed
    volunteer keeps her lead places on paper until a coordinator hands them
    over, and must not keep the queue (1:1 excerpts, held contact details,
    acknowledging a RED flag) through them.
    """
    return can_use_staff_pages(user) or is_cleared_volunteer(user)


def why_queue_closed(user: AnyUser) -> str:
    """In plain words for her, why a volunteer may not use the queue now ("" if she
    may, or if she is not a volunteer: others simply have no queue)."""
    return "" if can_view_queue(user) else why_not_cleared_for_her(user)


def can_manage_rules(user: AnyUser) -> bool:
    return can_use_staff_pages(user)


def can_edit_site_settings(user: AnyUser) -> bool:
    return can_use_staff_pages(user)


def can_sanction(user: AnyUser) -> bool:
    """Warn, mute, remove, suspend, resolve: coordinators only."""
    return can_use_staff_pages(user)


def can_suspend(user: AnyUser, *, member: User) -> bool:
    """Suspend an account: a coordinator, never her own account, never an admin's."""
    return can_sanction(user) and member.pk != user.pk and not member.is_superuser


def hears_every_flag(user: User) -> bool:
    """Coordinators hear of every flag, in every room, live: their sockets join the
    coordinators' group. Everyone else hears only of the flags of the rooms she
    leads (chat.policy.RoomAccess.is_room_staff), so a coordinator is not told twice."""
    return user.role == Role.COORDINATOR


def offers_queue(user: AnyUser) -> bool:
    """Volunteers and coordinators find the queue and the concern form on their home
    page, also when they may not use them just now: the pages then tell a paused or
    lapsed volunteer why, kindly (why_queue_closed)."""
    return is_active_person(user) and user.role in (Role.VOLUNTEER, Role.COORDINATOR)


def can_act_on_flag(user: AnyUser, *, flag: Flag, led_room_ids: set[int]) -> bool:
    """See and act on a flag (acknowledge, escalate): coordinators, or a lead
    volunteer of the flag's room (never on a flag about herself). Flags with no
    room (questionnaire risk items, referrals, concerns raised outside a room)
    are for coordinators. `flags_visible_q` is the same rule as a filter."""
    if not can_view_queue(user) or flag.subject_id == user.pk:
        return False
    if user.role == Role.COORDINATOR:
        return True
    return flag.room_id is not None and flag.room_id in led_room_ids


def flags_visible_q(user: AnyUser, *, led_room_ids: set[int]) -> Q:
    """`can_act_on_flag` as a query filter on flags: everywhere a flag is shown to
    her (the queue, a card's "earlier flags"), only these may appear."""
    if not can_view_queue(user):
        return Q(pk__in=[])
    if user.role == Role.COORDINATOR:
        return Q()
    return Q(room_id__in=led_room_ids) & ~Q(subject_id=user.pk)


def excerpt_read_is_audited(user: User, *, flag: Flag, her_room_ids: set[int]) -> bool:
    """Showing her a flag's message and the messages around it, from a 1:1 chat
    she is not part of, is a read of someone else's private chat: audited (as
    part of handling the flag, so no reason is asked; SAFEGUARDING.md)."""
    room = flag.room
    return (
        flag.message_id is not None
        and room is not None
        and room.is_direct
        and flag.room_id not in her_room_ids
    )


def may_raise_concerns(user: AnyUser) -> TypeGuard[User]:
    """Use the concern form at all: volunteers cleared to lead now (the queue's
    question: a paused or lapsed volunteer takes her worry to her coordinator in
    person), and coordinators with two-factor authentication, as on staff pages
    (the form lists members by name)."""
    if is_cleared_volunteer(user):
        return True
    return can_use_staff_pages(user) and (has_mfa(user) or not requires_mfa(user))


def _is_concern_subject(member: User) -> bool:
    return member.role == Role.MEMBER and member.is_active and member.anonymised_at is None


def can_raise_concern(
    user: AnyUser, *, member: User, led_room_ids: set[int], member_room_ids: set[int]
) -> bool:
    """Raise a concern about `member`: a coordinator about any member; a volunteer
    only about the members of the rooms and 1:1 chats she leads (`member_room_ids`:
    the rooms `member` is in now). `concern_subjects_q` is the same rule as a filter."""
    if not may_raise_concerns(user) or not _is_concern_subject(member):
        return False
    return user.role == Role.COORDINATOR or bool(led_room_ids & member_room_ids)


def concern_subjects_q(user: AnyUser, *, led_room_ids: set[int]) -> Q:
    """`can_raise_concern` as a query filter on users (the form's list of names)."""
    if not may_raise_concerns(user):
        return Q(pk__in=[])
    members = Q(role=Role.MEMBER, is_active=True, anonymised_at__isnull=True)
    if user.role == Role.COORDINATOR:
        return members
    return members & Q(memberships__room_id__in=led_room_ids, memberships__removed_at__isnull=True)


# Automatic off-hours protection (hiding a reported message, muting a member
# everywhere) acts while nobody is watching, so it must never become a tool one
# person can turn on someone: it needs at least this many different reporters,
# whatever the settings say.
MIN_DISTINCT_REPORTERS = 2


def may_protect_automatically_against(person: User | None) -> bool:
    """May automatic off-hours protection hide this person's message or mute her?

    Members only: a volunteer or coordinator reported out of hours is left for a
    coordinator to review, so that reports can never silence the people who
    keep a room safe.
    """
    return person is not None and person.role == Role.MEMBER


def off_hours_threshold_reached(*, distinct_reporters: int, threshold: int) -> bool:
    """Have enough different people reported for automatic protection to act?"""
    return distinct_reporters >= max(threshold, MIN_DISTINCT_REPORTERS)


# --- labels: coordinators' verdicts on screening ------------------------------------


def asks_verdict(flag: Flag) -> bool:
    """Resolving a flag on a message asks "Was this right?" (a label for retraining)."""
    return flag.message_id is not None


def can_mark_missed(user: AnyUser) -> TypeGuard[User]:
    """Mark a message as a risk that screening missed: coordinators only.

    A label is a coordinator's verdict (SAFEGUARDING.md), and the flag it
    raises alerts every coordinator. A lead volunteer who sees a missed risk
    reports the message or raises a concern: both reach the queue at once.
    """
    return can_sanction(user)


def may_mark_message_missed(
    user: AnyUser, *, author_id: int, status: str, author_closed: bool
) -> bool:
    """This message, by this person: a published message (held and blocked ones
    are on the queue already), never her own, never one whose author has
    closed her account (her words are gone)."""
    from moderation.protocols import MessageStatus

    return (
        can_mark_missed(user)
        and author_id != user.pk
        and status == MessageStatus.PUBLISHED
        and not author_closed
    )
