"""Coordinators are reminded, once each, on the right day (a controllable clock):
30 days before a DBS check expires, when it has expired, when supervision is
overdue, and when a paired member's baby turns two."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

import notify
from accounts.models import MemberProfile, Reminder, Supervision, VolunteerRecord
from audit.models import AuditEntry
from village import periodic
from volunteers.audit_actions import VolunteersAuditAction

pytestmark = pytest.mark.django_db(transaction=True)


def at(day: date) -> datetime:
    """Noon on `day` in the service's time zone: the periodic jobs' clock."""
    return timezone.make_aware(datetime.combine(day, time(12)))


def run_on(day: date) -> int:
    sent = periodic.run_once(clock=lambda: at(day))["reminders_sent"]
    notify.drain()
    return sent


def reminders(kind: str) -> list[tuple[int, date]]:
    return list(Reminder.objects.filter(kind=kind).values_list("about_id", "due_on"))


@pytest.fixture
def supervision_never_due(settings):
    """DBS tests run the clock years ahead: keep supervision out of the count."""
    settings.VILLAGE_SUPERVISION_INTERVAL_DAYS = 100 * 365


def test_a_dbs_check_is_remembered_30_days_ahead_once_and_again_when_it_expires(
    supervision_never_due, coordinator, volunteer
):
    expiry = date.today() + timedelta(days=100)
    VolunteerRecord.objects.filter(user=volunteer).update(dbs_expires_on=expiry)
    mail.outbox.clear()
    assert run_on(expiry - timedelta(days=31)) == 0
    assert run_on(expiry - timedelta(days=30)) == 1
    assert reminders(Reminder.Kind.DBS_EXPIRING) == [(volunteer.pk, expiry)]
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert "/staff/volunteers/" in mail.outbox[0].body
    assert run_on(expiry - timedelta(days=29)) == 0  # once only
    assert run_on(expiry) == 0  # still valid on its last day
    assert run_on(expiry + timedelta(days=1)) == 1
    assert reminders(Reminder.Kind.DBS_EXPIRED) == [(volunteer.pk, expiry)]
    assert AuditEntry.objects.filter(action=VolunteersAuditAction.REMINDER_SENT).count() == 2


def test_a_renewed_check_is_remembered_again_before_its_own_expiry(
    supervision_never_due, coordinator, volunteer
):
    first = date.today() + timedelta(days=20)
    VolunteerRecord.objects.filter(user=volunteer).update(dbs_expires_on=first)
    assert run_on(date.today()) == 1
    second = first + timedelta(days=3 * 365)
    VolunteerRecord.objects.filter(user=volunteer).update(dbs_expires_on=second)
    assert run_on(first + timedelta(days=1)) == 0
    assert run_on(second - timedelta(days=30)) == 1


def test_supervision_is_overdue_after_the_configured_interval(settings, coordinator, volunteer):
    settings.VILLAGE_SUPERVISION_INTERVAL_DAYS = 28
    last = date.today() - timedelta(days=10)
    Supervision.objects.create(
        volunteer=volunteer, held_on=last, supervisor=coordinator, recorded_by=coordinator
    )
    due = last + timedelta(days=28)
    assert run_on(due) == 0
    assert run_on(due + timedelta(days=1)) == 1
    assert reminders(Reminder.Kind.SUPERVISION_OVERDUE) == [(volunteer.pk, due)]
    assert run_on(due + timedelta(days=2)) == 0
    # A new supervision restarts the clock: the next reminder is for the next due date.
    Supervision.objects.create(
        volunteer=volunteer,
        held_on=due + timedelta(days=2),
        supervisor=coordinator,
        recorded_by=coordinator,
    )
    assert run_on(due + timedelta(days=29)) == 0
    assert run_on(due + timedelta(days=31)) == 1


def test_paused_volunteers_are_not_chased(coordinator, volunteer):
    VolunteerRecord.objects.filter(user=volunteer).update(
        status="paused", dbs_expires_on=date.today() + timedelta(days=5)
    )
    assert run_on(date.today()) == 0


def test_a_baby_turning_two_during_a_pairing_keeps_it_and_the_coordinator_is_told(
    client, coordinator, mum, pairing
):
    today = date.today()
    born = today.replace(year=today.year - 2) + timedelta(days=3)
    MemberProfile.objects.filter(user=mum).update(baby_birth_date=born)
    birthday = MemberProfile.objects.get(user=mum).second_birthday
    assert run_on(birthday - timedelta(days=1)) == 0
    assert run_on(birthday) == 1
    assert reminders(Reminder.Kind.BABY_TURNED_TWO) == [(mum.pk, birthday)]
    assert run_on(birthday + timedelta(days=1)) == 0
    pairing.refresh_from_db()
    assert pairing.ended_at is None  # she keeps it until its planned ending


def test_the_pairings_page_marks_a_member_whose_baby_turned_two(client, coordinator, mum, pairing):
    today = date.today()
    MemberProfile.objects.filter(user=mum).update(
        baby_birth_date=today.replace(year=today.year - 2) - timedelta(days=1)
    )
    client.force_login(coordinator)
    page = client.get(reverse("staff_pairings")).content.decode()
    assert 'data-testid="turned-two"' in page
    assert pairing.planned_end.strftime("%-d %b %Y") in page


def test_a_leap_day_baby_turns_two_on_the_first_of_march():
    profile = MemberProfile(baby_birth_date=date(2024, 2, 29))
    assert profile.second_birthday == date(2026, 3, 1)
