"""The periodic jobs, driven with a clock of the test's own."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.models import ScheduleSlot, Session
from infra.dbwork import in_db_thread
from village import periodic

pytestmark = pytest.mark.django_db(transaction=True)

# A Thursday evening in the service's time zone.
THURSDAY_1935 = timezone.make_aware(datetime(2026, 11, 26, 19, 35))


@pytest.fixture
def scheduled_room(coordinator, volunteer, mum):
    room = services.create_room(
        actor=coordinator,
        name="Thursday evening group",
        schedule=[(ScheduleSlot.Weekday.THURSDAY, time(19, 30), 90)],
    )
    services.assign_lead(actor=coordinator, room_id=room.pk, volunteer=volunteer)
    services.enrol_member(actor=coordinator, room_id=room.pk, member=mum)
    return room


async def test_a_session_closes_at_its_scheduled_end_and_the_room_is_told(
    sockets, scheduled_room, volunteer, mum
):
    session = await in_db_thread(services.open_session)(
        actor=volunteer, room_id=scheduled_room.pk, now=THURSDAY_1935
    )
    assert session.on_schedule and session.closes_at == THURSDAY_1935.replace(hour=21, minute=0)
    amy = await sockets(mum)
    await amy.join(scheduled_room.pk)

    just_before = await in_db_thread(periodic.run_once)(
        clock=lambda: session.closes_at - timedelta(seconds=1)
    )
    assert just_before["sessions_closed"] == 0
    at_end = await in_db_thread(periodic.run_once)(clock=lambda: session.closes_at)
    assert at_end["sessions_closed"] == 1
    assert await amy.receive_until("session") == {
        "type": "session",
        "room": scheduled_room.pk,
        "open": False,
    }
    closed = await Session.objects.aget(pk=session.pk)
    assert closed.closed_at == session.closes_at and closed.closed_by_id is None


def test_a_session_opened_off_schedule_closes_after_two_hours(scheduled_room, volunteer):
    monday_noon = THURSDAY_1935.replace(day=23, hour=12, minute=0)
    session = services.open_session(actor=volunteer, room_id=scheduled_room.pk, now=monday_noon)
    assert not session.on_schedule
    assert session.closes_at == monday_noon + timedelta(hours=2)
    periodic.run_once(clock=lambda: monday_noon + timedelta(minutes=119))
    assert Session.objects.get(pk=session.pk).closed_at is None
    periodic.run_once(clock=lambda: monday_noon + timedelta(hours=2))
    assert Session.objects.get(pk=session.pk).closed_at is not None


def test_opening_a_little_early_counts_as_on_schedule(scheduled_room, volunteer):
    session = services.open_session(
        actor=volunteer, room_id=scheduled_room.pk, now=THURSDAY_1935.replace(hour=19, minute=20)
    )
    assert session.on_schedule and session.closes_at.hour == 21


def test_attendance_records_who_joined_and_who_posted(
    scheduled_room, volunteer, mum, other_mum, coordinator
):
    import uuid

    from chat.models import Attendance

    services.enrol_member(actor=coordinator, room_id=scheduled_room.pk, member=other_mum)
    session = services.open_session(actor=volunteer, room_id=scheduled_room.pk)
    services.join_room(user=mum, room_id=scheduled_room.pk, after_seq=None)
    services.join_room(user=other_mum, room_id=scheduled_room.pk, after_seq=None)
    for n in range(2):
        services.send_message(
            author=mum, room_id=scheduled_room.pk, client_id=uuid.uuid4(), body=f"hi {n}"
        )
    attended = {
        a.user.display_name: a.messages_posted
        for a in Attendance.objects.filter(session=session).select_related("user")
    }
    assert attended == {"Val": 0, "Amy": 2, "Beth": 0}


def test_the_scheduler_runs_in_the_web_process_only_without_redis(settings, monkeypatch):
    started = []
    monkeypatch.setattr(periodic.threading.Thread, "start", lambda self: started.append(self.name))
    monkeypatch.setattr(periodic, "_in_web", None)
    settings.VILLAGE_PERIODIC_IN_WEB = False
    periodic.start_in_web_process()
    assert started == []
    settings.VILLAGE_PERIODIC_IN_WEB = True
    periodic.start_in_web_process()
    periodic.start_in_web_process()
    assert started == ["village-periodic"]


def test_daily_work_runs_every_ten_minutes_not_at_every_tick(monkeypatch):
    """Reminders and questionnaire planning scan every volunteer and member: the
    loop does them every VILLAGE_DAILY_WORK_MINUTES, the urgent jobs every tick."""
    import threading

    stop = threading.Event()
    ticks = iter(range(1000))
    start = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    calls: list[tuple[int, bool]] = []

    def clock():
        return start + timedelta(minutes=next(ticks))

    def fake_run_once(*, clock, daily_work):
        calls.append((int((clock() - start).total_seconds() // 60), daily_work))
        if len(calls) == 25:
            stop.set()
        return {}

    monkeypatch.setattr(periodic, "run_once", fake_run_once)
    periodic.run_forever(stop=stop, clock=clock, interval=0.001)
    assert [minute for minute, daily in calls if daily] == [0, 10, 20]
    assert len(calls) == 25


# --- a session whose opener may no longer lead ------------------------------------------


def _expire_dbs_check(volunteer) -> None:
    from accounts.models import VolunteerRecord

    VolunteerRecord.objects.filter(user=volunteer).update(
        dbs_expires_on=timezone.localdate() - timedelta(days=1)
    )


async def test_a_session_closes_when_its_openers_dbs_check_expires_and_the_room_is_told(
    sockets, scheduled_room, volunteer, mum
):
    session = await in_db_thread(services.open_session)(actor=volunteer, room_id=scheduled_room.pk)
    amy = await sockets(mum)
    await amy.join(scheduled_room.pk)
    await in_db_thread(_expire_dbs_check)(volunteer)

    done = await in_db_thread(periodic.run_once)(
        clock=lambda: timezone.now() + timedelta(minutes=1), daily_work=False
    )
    assert done["sessions_closed_opener_uncleared"] == 1
    assert await amy.receive_until("session") == {
        "type": "session",
        "room": scheduled_room.pk,
        "open": False,
    }
    assert (await Session.objects.aget(pk=session.pk)).closed_at is not None


async def test_a_paused_volunteers_open_session_closes_at_once_and_members_are_told(
    sockets, scheduled_room, volunteer, mum, coordinator
):
    from volunteers import services as volunteers

    session = await in_db_thread(services.open_session)(actor=volunteer, room_id=scheduled_room.pk)
    amy = await sockets(mum)
    await amy.join(scheduled_room.pk)
    await in_db_thread(volunteers.change_status)(
        actor=coordinator, volunteer=volunteer, status="paused", reason="a break"
    )
    assert await amy.receive_until("session") == {
        "type": "session",
        "room": scheduled_room.pk,
        "open": False,
    }
    assert (await Session.objects.aget(pk=session.pk)).closed_at is not None


async def test_a_session_with_an_unacknowledged_red_stays_open_when_its_opener_lapses(
    sockets, scheduled_room, volunteer, mum, coordinator
):
    """SAFEGUARDING.md: a session cannot close while a RED flag in it is
    unacknowledged; coordinators are told, as for a scheduled end."""
    import uuid

    session = await in_db_thread(services.open_session)(actor=volunteer, room_id=scheduled_room.pk)
    await in_db_thread(services.send_message)(
        author=mum, room_id=scheduled_room.pk, client_id=uuid.uuid4(), body="I want to end it all"
    )
    cora = await sockets(coordinator)
    await in_db_thread(_expire_dbs_check)(volunteer)

    done = await in_db_thread(periodic.run_once)(clock=timezone.now, daily_work=False)
    assert done["sessions_closed_opener_uncleared"] == 0
    assert await cora.receive_until("session_held_open") == {
        "type": "session_held_open",
        "room": scheduled_room.pk,
    }
    assert (await Session.objects.aget(pk=session.pk)).closed_at is None
