"""Reminders to coordinators about volunteers and pairings (a periodic job).

Each reminder is sent once: a `Reminder` row per (kind, person, key) records
it, lists it on the volunteers page, and stops it being sent again. The clock
is the caller's, so tests drive it.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from accounts.models import Reminder, User, VolunteerStatus
from accounts.revocation import revoke_user_sockets
from audit.services import record_audit
from chat.models import Pairing
from volunteers import notices
from volunteers.audit_actions import VolunteersAuditAction
from volunteers.selectors import supervision_due_on, volunteer_rows


def _remind(*, kind: str, about: User, key: str, due_on: date) -> bool:
    """Record and send one reminder; False if it was sent before."""
    try:
        with transaction.atomic():
            Reminder.objects.create(kind=kind, about=about, key=key, due_on=due_on)
            record_audit(
                actor=None,
                action=VolunteersAuditAction.REMINDER_SENT,
                target=about,
                details={"kind": kind, "due_on": due_on.isoformat()},
            )
            if kind == Reminder.Kind.DBS_EXPIRED:
                # Her sockets reconnect without the rooms she may no longer lead.
                revoke_user_sockets(user_id=about.pk, reason="role_changed")
            notices.coordinator_reminder_on_commit()
    except IntegrityError:
        return False
    return True


def send_due_reminders(*, today: date) -> int:
    """Send every reminder that is due today; returns how many were sent."""
    sent = 0
    ahead = today + timedelta(days=settings.VILLAGE_DBS_REMINDER_DAYS)
    done = set(
        Reminder.objects.filter(
            kind__in=[
                Reminder.Kind.DBS_EXPIRING,
                Reminder.Kind.DBS_EXPIRED,
                Reminder.Kind.SUPERVISION_OVERDUE,
            ]
        ).values_list("kind", "about_id", "key")
    )
    for row in volunteer_rows(today=today):
        record, volunteer = row.record, row.volunteer
        if record.status not in (VolunteerStatus.ACTIVE, VolunteerStatus.IN_TRAINING):
            continue
        expires = record.dbs_expires_on
        if expires is not None:
            key = expires.isoformat()
            if expires < today:
                kind = Reminder.Kind.DBS_EXPIRED
            elif expires <= ahead:
                kind = Reminder.Kind.DBS_EXPIRING
            else:
                kind = None
            if kind and (kind, volunteer.pk, key) not in done:
                sent += _remind(kind=kind, about=volunteer, key=key, due_on=expires)
        due = supervision_due_on(record=record, last=row.last_supervision)
        if due is not None and due < today:
            key = due.isoformat()
            if (Reminder.Kind.SUPERVISION_OVERDUE, volunteer.pk, key) not in done:
                sent += _remind(
                    kind=Reminder.Kind.SUPERVISION_OVERDUE, about=volunteer, key=key, due_on=due
                )
    return sent + _babies_turned_two(today=today)


def _babies_turned_two(*, today: date) -> int:
    """A member whose baby turns two during a pairing keeps it until its planned
    ending; the coordinators are told once, on the birthday or after it."""
    told = set(
        Reminder.objects.filter(kind=Reminder.Kind.BABY_TURNED_TWO).values_list("key", flat=True)
    )
    pairings = Pairing.objects.filter(
        ended_at__isnull=True, member__member_profile__baby_birth_date__isnull=False
    ).select_related("member", "member__member_profile")
    sent = 0
    for pairing in pairings:
        birthday = pairing.member.member_profile.second_birthday
        key = f"pairing-{pairing.pk}"
        if birthday <= today and key not in told:
            sent += _remind(
                kind=Reminder.Kind.BABY_TURNED_TWO, about=pairing.member, key=key, due_on=birthday
            )
    return sent
