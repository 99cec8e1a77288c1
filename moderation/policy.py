"""Who may do what in moderation. Views, consumers and templates ask here; nothing else decides."""

from __future__ import annotations

from django.db.models import Q

from accounts.models import Role, User
from accounts.policy import (
    can_use_staff_pages,
    is_cleared_volunteer,
    why_not_cleared_for_her,
)


def can_view_audit_log(user) -> bool:
    return can_use_staff_pages(user)


def can_view_queue(user) -> bool:
    """Coordinators see every flag; volunteers the flags of the rooms they lead.

    A volunteer must be cleared to lead NOW (active, DBS check in date): the
    same question her socket asks (chat.policy.can_lead). A paused or lapsed
    volunteer keeps her lead places on paper until a coordinator hands them
    over, and must not keep the queue (1:1 excerpts, held contact details,
    acknowledging a RED flag) through them.
    """
    return can_use_staff_pages(user) or is_cleared_volunteer(user)


def why_queue_closed(user) -> str:
    """In plain words for her, why a volunteer may not use the queue now ("" if she
    may, or if she is not a volunteer: others simply have no queue)."""
    return "" if can_view_queue(user) else why_not_cleared_for_her(user)


def can_manage_rules(user) -> bool:
    return can_use_staff_pages(user)


def can_edit_site_settings(user) -> bool:
    return can_use_staff_pages(user)


def can_sanction(user) -> bool:
    """Warn, mute, remove, suspend, resolve: coordinators only."""
    return can_use_staff_pages(user)


def can_act_on_flag(user, *, flag, led_room_ids: set[int]) -> bool:
    """See and act on a flag (acknowledge, escalate): coordinators, or a lead
    volunteer of the flag's room (never on a flag about herself). Flags with no
    room (questionnaire risk items, referrals, concerns raised outside a room)
    are for coordinators. `flags_visible_q` is the same rule as a filter."""
    if not can_view_queue(user) or flag.subject_id == user.pk:
        return False
    if user.role == Role.COORDINATOR:
        return True
    return flag.room_id is not None and flag.room_id in led_room_ids


def flags_visible_q(user, *, led_room_ids: set[int]) -> Q:
    """`can_act_on_flag` as a query filter on flags: everywhere a flag is shown to
    her (the queue, a card's "earlier flags"), only these may appear."""
    if not can_view_queue(user):
        return Q(pk__in=[])
    if user.role == Role.COORDINATOR:
        return Q()
    return Q(room_id__in=led_room_ids) & ~Q(subject_id=user.pk)


def can_raise_concern(user, *, member: User) -> bool:
    # The queue's clearance question: a paused or lapsed volunteer raises her
    # worry with her coordinator in person, not through the staff's tools.
    return can_view_queue(user) and member.role == Role.MEMBER


# Automatic off-hours protection (hiding a reported message, muting a member
# everywhere) acts while nobody is watching, so it must never become a tool one
# person can turn on someone: it needs at least this many different reporters,
# whatever the settings say.
MIN_DISTINCT_REPORTERS = 2


def may_protect_automatically_against(person) -> bool:
    """May automatic off-hours protection hide this person's message or mute her?

    Members only: a volunteer or coordinator reported out of hours is left for a
    coordinator to review, so that reports can never silence the people who
    keep a room safe.
    """
    return person is not None and person.role == Role.MEMBER


def off_hours_threshold_reached(*, distinct_reporters: int, threshold: int) -> bool:
    """Have enough different people reported for automatic protection to act?"""
    return distinct_reporters >= max(threshold, MIN_DISTINCT_REPORTERS)
