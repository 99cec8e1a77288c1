"""Reads about volunteers: the coordinators' list, matching, hand-overs, debriefs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypeAlias, TypedDict

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import policy
from accounts.models import (
    DebriefRequest,
    Language,
    Role,
    User,
    VolunteerRecord,
    VolunteerStatus,
)
from chat.models import Membership, Pairing
from moderation.models import Flag, Level
from moderation.selectors import led_room_ids

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import WithAnnotations


class _VolunteerFigures(TypedDict):
    """What `_volunteers` adds to each volunteer (the list's columns)."""

    active_pairings: int
    group_leads: int
    last_supervision: date | None


# A volunteer as `_volunteers` reads her: the User with her figures.
VolunteerWithFigures: TypeAlias = "WithAnnotations[User, _VolunteerFigures]"


@dataclass(frozen=True)
class VolunteerRow:
    """One volunteer as coordinators see her in the list."""

    volunteer: User
    record: VolunteerRecord
    cleared: bool
    why_not: str
    active_pairings: int
    last_supervision: date | None
    supervision_due: date | None
    dbs_expiring_soon: bool
    needs_handover: int

    @property
    def supervision_overdue(self) -> bool:
        return self.supervision_due is not None and self.supervision_due < timezone.localdate()

    @property
    def has_room(self) -> bool:
        return self.active_pairings < self.record.cap


def supervision_due_on(*, record: VolunteerRecord, last: date | None) -> date | None:
    """When her next supervision is due: the interval after her last one (or after
    she became active, if she has had none); None unless she is active."""
    if record.status != VolunteerStatus.ACTIVE:
        return None
    start = last or timezone.localdate(record.status_changed_at)
    return start + timedelta(days=settings.VILLAGE_SUPERVISION_INTERVAL_DAYS)


def volunteers_and_former_with_pairings_q() -> Q:
    """Volunteers, and anyone whose role changed away from volunteer while 1:1
    chats she ran still wait for a new volunteer: those stay on the volunteers
    page, flagged for hand-over, until a coordinator hands them over."""
    waiting = Pairing.objects.filter(ended_at__isnull=True).values("volunteer")
    return Q(role=Role.VOLUNTEER) | Q(pk__in=waiting)


def _volunteers() -> QuerySet[VolunteerWithFigures]:
    active_pairings = (
        Pairing.objects.filter(volunteer=OuterRef("pk"), ended_at__isnull=True)
        .order_by()
        .values("volunteer")
        .annotate(n=Count("id"))
        .values("n")
    )
    leads = (
        Membership.objects.filter(
            user=OuterRef("pk"),
            role=Membership.Role.LEAD,
            removed_at__isnull=True,
            room__kind="group",
        )
        .order_by()
        .values("user")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        User.objects.filter(volunteers_and_former_with_pairings_q(), anonymised_at__isnull=True)
        .select_related("volunteer_record")
        .annotate(
            active_pairings=Coalesce(Subquery(active_pairings), 0),
            group_leads=Coalesce(Subquery(leads), 0),
            last_supervision=Max("supervisions__held_on"),
        )
    )


def _row(volunteer: VolunteerWithFigures, today: date) -> VolunteerRow:
    record = getattr(volunteer, "volunteer_record", None) or VolunteerRecord(user=volunteer)
    cleared = policy.is_cleared_volunteer(volunteer, today=today)
    soon = today + timedelta(days=settings.VILLAGE_DBS_REMINDER_DAYS)
    return VolunteerRow(
        volunteer=volunteer,
        record=record,
        cleared=cleared,
        why_not=policy.why_not_cleared(volunteer, today=today),
        active_pairings=volunteer.active_pairings,
        last_supervision=volunteer.last_supervision,
        supervision_due=supervision_due_on(record=record, last=volunteer.last_supervision),
        dbs_expiring_soon=record.dbs_expires_on is not None
        and today <= record.dbs_expires_on <= soon,
        needs_handover=0 if cleared else volunteer.active_pairings + volunteer.group_leads,
    )


def volunteer_rows(*, today: date | None = None, status: str = "") -> list[VolunteerRow]:
    today = today or timezone.localdate()
    volunteers = _volunteers().order_by("display_name", "id")
    if status:
        volunteers = volunteers.filter(volunteer_record__status=status)
    return [_row(v, today) for v in volunteers]


def volunteer_row(*, volunteer_id: int, today: date | None = None) -> VolunteerRow | None:
    volunteer = _volunteers().filter(pk=volunteer_id).first()
    return None if volunteer is None else _row(volunteer, today or timezone.localdate())


def volunteers_with_room(*, today: date | None = None) -> list[VolunteerRow]:
    """Cleared volunteers under their caseload cap: anyone a coordinator may pair now."""
    today = today or timezone.localdate()
    cleared = _volunteers().filter(policy.cleared_volunteers_q(today=today))
    return [row for row in (_row(v, today) for v in cleared) if row.has_room]


def matching_volunteers(*, member: User, today: date | None = None) -> list[VolunteerRow]:
    """Volunteers a coordinator may pair `member` with: cleared, with room under
    their caseload cap, speaking her language, and sharing a lived experience
    she asked for (if she asked). Best first: most shared experience, then the
    lightest caseload."""
    today = today or timezone.localdate()
    profile = getattr(member, "member_profile", None)
    language = profile.language if profile else Language.ENGLISH
    wanted = set(profile.experience_wanted) if profile else set()
    matches = [
        row
        for row in volunteers_with_room(today=today)
        if language in row.record.languages
        and (not wanted or wanted & set(row.record.experience_tags))
    ]
    return sorted(
        matches,
        key=lambda row: (
            -len(wanted & set(row.record.experience_tags)),
            row.active_pairings,
            row.volunteer.display_name,
        ),
    )


@dataclass(frozen=True)
class Handover:
    """What a paused or departed volunteer leaves that needs a new volunteer."""

    pairings: list
    rooms: list

    def __bool__(self) -> bool:
        return bool(self.pairings or self.rooms)


def handover_for(*, volunteer: User) -> Handover:
    pairings = list(
        Pairing.objects.filter(volunteer=volunteer, ended_at__isnull=True)
        .select_related("member", "member__member_profile")
        .order_by("created_at")
    )
    memberships = list(
        Membership.objects.filter(
            user=volunteer,
            role=Membership.Role.LEAD,
            removed_at__isnull=True,
            room__kind="group",
        )
        .select_related("room")
        .order_by("room__name")
    )
    return Handover(pairings=pairings, rooms=[m.room for m in memberships])


def debrief_offers(*, volunteer: User, now: datetime | None = None) -> list[Flag]:
    """RED flags of the last few days in rooms and 1:1 chats she leads that she
    has not yet answered a debrief offer for (flags about herself excluded)."""
    if not policy.can_request_debrief(volunteer):
        return []
    now = now or timezone.now()
    rooms = led_room_ids(volunteer)
    if not rooms:
        return []
    answered = DebriefRequest.objects.filter(volunteer=volunteer).values("flag_id")
    return list(
        Flag.objects.filter(
            level=Level.RED,
            room_id__in=rooms,
            created_at__gte=now - timedelta(days=settings.VILLAGE_DEBRIEF_OFFER_DAYS),
        )
        .exclude(subject=volunteer)
        .exclude(pk__in=answered)
        .select_related("room")
        .order_by("created_at")
    )


def open_debrief_requests() -> QuerySet[DebriefRequest]:
    return DebriefRequest.objects.filter(declined=False, handled_at__isnull=True).select_related(
        "volunteer", "flag", "flag__room"
    )
