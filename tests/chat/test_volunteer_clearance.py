"""Over the WebSocket: only an active volunteer whose DBS check is in date
leads sessions and 1:1 chats; losing that closes her sockets within 2 seconds,
and a handover gives her places to another volunteer at once."""

from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock_time

import pytest
from django.utils import timezone

from accounts.models import VolunteerRecord, VolunteerStatus
from chat import services as chat_services
from chat.models import Session
from infra.dbwork import in_db_thread
from tests.sockets import room_ids
from village import periodic
from volunteers import services as volunteers

pytestmark = pytest.mark.django_db(transaction=True)
DEADLINE = 2.0


async def closed_for_role_change(socket) -> float:
    started = time.monotonic()
    frame = await socket.receive_until("revoked", timeout=DEADLINE)
    closed = await socket.communicator.receive_output(timeout=DEADLINE)
    assert frame == {"type": "revoked", "reason": "role_changed"}
    assert closed == {"type": "websocket.close", "code": 4001}
    return time.monotonic() - started


@in_db_thread
def expire_dbs(volunteer, *, days_ago: int = 1) -> None:
    VolunteerRecord.objects.filter(user=volunteer).update(
        dbs_expires_on=date.today() - timedelta(days=days_ago)
    )


async def test_a_paused_volunteer_is_closed_within_2_s_and_cannot_open_her_session(
    sockets, coordinator, volunteer, group_room, pairing
):
    val = await sockets(volunteer)
    assert room_ids(val.hello) == {group_room.pk, pairing.room_id}
    await in_db_thread(volunteers.change_status)(
        actor=coordinator, volunteer=volunteer, status=VolunteerStatus.PAUSED, reason="a break"
    )
    assert await closed_for_role_change(val) < DEADLINE

    again = await sockets(volunteer)
    assert room_ids(again.hello) == set()
    error = await again.ask({"type": "join", "room": group_room.pk}, "error")
    assert error["code"] == "forbidden"
    error = await again.ask({"type": "session", "room": group_room.pk, "action": "open"}, "error")
    assert error["code"] == "forbidden"
    assert not await in_db_thread(Session.objects.exists)()


async def test_a_volunteer_whose_dbs_check_expired_cannot_open_a_session(
    sockets, volunteer, group_room
):
    await expire_dbs(volunteer)
    val = await sockets(volunteer)
    error = await val.ask({"type": "session", "room": group_room.pk, "action": "open"}, "error")
    assert error["code"] == "forbidden"
    assert not await in_db_thread(Session.objects.exists)()


async def test_a_volunteer_whose_check_runs_until_today_still_opens_her_session(
    sockets, volunteer, group_room
):
    await expire_dbs(volunteer, days_ago=0)
    val = await sockets(volunteer)
    await val.join(group_room.pk)
    await val.send({"type": "session", "room": group_room.pk, "action": "open"})
    assert (await val.receive_until("session"))["open"] is True


async def test_the_day_after_her_check_expires_the_periodic_job_closes_her_sockets(
    sockets, coordinator, volunteer, group_room
):
    val = await sockets(volunteer)
    await expire_dbs(volunteer, days_ago=0)
    tomorrow = timezone.make_aware(
        datetime.combine(date.today() + timedelta(days=1), clock_time(9))
    )
    result = await in_db_thread(periodic.run_once)(clock=lambda: tomorrow)
    assert result["reminders_sent"] >= 1
    assert await closed_for_role_change(val) < DEADLINE


async def test_a_handover_moves_the_1_to_1_chat_to_the_new_volunteer_at_once(
    sockets, coordinator, mum, volunteer, other_volunteer, pairing
):
    val, vera = await sockets(volunteer), await sockets(other_volunteer)
    await in_db_thread(volunteers.change_status)(
        actor=coordinator, volunteer=volunteer, status=VolunteerStatus.LEFT, reason="moved away"
    )
    await closed_for_role_change(val)
    await in_db_thread(chat_services.hand_over_pairing)(
        actor=coordinator, pairing_id=pairing.pk, volunteer=other_volunteer, reason="Val left"
    )
    added = await vera.receive_until("room_added")
    assert added["room"]["id"] == pairing.room_id and added["room"]["name"] == "Amy & Vera"
    amy = await sockets(mum)
    await vera.join(pairing.room_id)
    await amy.join(pairing.room_id)
    await vera.send(
        {"type": "send", "room": pairing.room_id, "client_id": str(uuid.uuid4()), "body": "Hi Amy"}
    )
    assert (await amy.receive_until("message"))["message"]["author"]["display_name"] == "Vera"
