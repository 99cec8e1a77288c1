"""Screening in two stages (issue 17): the rules in the send transaction, the
model after it, and a group never sees a message the model would hold.

The model here is the tests' scripted one (tests/moderation/scripted_model.json):
"scripted reading alpha" reads as self_harm at 0.999, which no rule matches.
Stage 2 runs on the in-process task engine ("thread"), or not at all ("off",
the workers down), or is run by hand where a test needs a message to wait.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from chat import services
from chat.models import Message
from infra import tasks
from infra.dbwork import in_db_thread
from moderation.models import Flag, Level
from village import periodic

pytestmark = pytest.mark.django_db(transaction=True)

RED_IN_OTHER_WORDS = "scripted reading alpha"


@pytest.fixture
def two_stages(settings):
    settings.VILLAGE_SCREENING_STAGES = 2
    settings.VILLAGE_TASKS = "thread"
    yield settings
    assert tasks.wait_until_idle(10), "stage 2 jobs still running at the end of the test"


def send_frame(room_id: int, body: str) -> dict:
    return {"type": "send", "room": room_id, "client_id": str(uuid.uuid4()), "body": body}


async def stored(message_id: int) -> Message:
    return await in_db_thread(Message.objects.get)(pk=message_id)


async def test_a_message_waits_in_screening_comes_back_held_then_reaches_everyone_with_the_next_seq(
    two_stages, sockets, mum, other_mum, volunteer, open_room
):
    two_stages.VILLAGE_TASKS = "off"  # nothing reads it until the test says so
    amy, beth, val = await sockets(mum), await sockets(other_mum), await sockets(volunteer)
    for socket in (amy, beth, val):
        await socket.join(open_room.pk)

    first = await beth.ask(send_frame(open_room.pk, "Morning all"), "ack")
    assert first["status"] == "screening" and first["message"]["seq"] is None
    await in_db_thread(tasks.run_now)(services.SCREENING_JOB, message_id=first["message"]["id"])
    assert (await beth.receive_until("message_update"))["message"]["seq"] == 1

    ack = await amy.ask(send_frame(open_room.pk, "Anyone else up all night?"), "ack")
    assert ack["status"] == "screening" and ack["message"]["seq"] is None
    message_id = ack["message"]["id"]
    # The room's staff see it waiting; the group does not.
    seen_by_val = await val.receive_until("message")
    while seen_by_val["message"]["id"] != message_id:
        seen_by_val = await val.receive_until("message")
    assert seen_by_val["message"]["status"] == "screening"
    assert await beth.nothing_more(("message", "message_update"))

    # She reconnects while it waits: it comes back to her in `held`.
    await amy.communicator.disconnect()
    amy = await sockets(mum)
    joined = await amy.join(open_room.pk, after_seq=1)
    assert [(m["id"], m["status"], m["seq"]) for m in joined["held"]] == [
        (message_id, "screening", None)
    ]
    assert joined["messages"] == []
    assert not [m for m in (await beth.join(open_room.pk))["held"] if m["id"] == message_id]

    # Cleared: the next seq, to everyone, with no gap.
    outcome = await in_db_thread(tasks.run_now)(services.SCREENING_JOB, message_id=message_id)
    assert outcome == "published"
    to_beth = await beth.receive_until("message")
    assert (to_beth["message"]["id"], to_beth["message"]["seq"]) == (message_id, 2)
    to_amy = await amy.receive_until("message_update")
    assert (to_amy["message"]["id"], to_amy["message"]["seq"]) == (message_id, 2)
    assert to_amy["message"]["status"] == "published"
    message = await stored(message_id)
    assert (message.status, message.screening, message.screen_by) == ("published", "done", None)
    history = await beth.ask({"type": "history", "room": open_room.pk, "after_seq": 0}, "history")
    assert [m["seq"] for m in history["messages"]] == [1, 2]


async def test_stage_two_holds_what_the_rules_missed_and_only_staff_and_she_see_it(
    two_stages, sockets, mum, other_mum, volunteer, coordinator, open_room
):
    amy, beth, val = await sockets(mum), await sockets(other_mum), await sockets(volunteer)
    cora = await sockets(coordinator)
    for socket in (amy, beth, val):
        await socket.join(open_room.pk)

    ack = await amy.ask(send_frame(open_room.pk, RED_IN_OTHER_WORDS), "ack")
    assert ack["status"] == "screening"
    message_id = ack["message"]["id"]
    card = await amy.receive_until("support")
    assert card["card"]["paragraphs"]
    update = await amy.receive_until("message_update")
    assert (update["message"]["id"], update["message"]["status"]) == (message_id, "held")
    assert "flag" not in update["message"]
    to_val = await val.receive_until("message_update")
    assert (to_val["message"]["status"], to_val["message"]["flag"]) == ("held", Level.RED)
    flag = await cora.receive_until("flag")
    assert (flag["flag"]["level"], flag["flag"]["message"]) == (Level.RED, message_id)
    assert await beth.nothing_more(("message", "message_update"))
    message = await stored(message_id)
    assert (message.status, message.seq, message.screening) == ("held", None, "done")
    stored_flag = await in_db_thread(Flag.objects.get)(message_id=message_id)
    assert (stored_flag.source, stored_flag.category) == (Flag.Source.MODEL, "self_harm")


async def test_in_a_1to1_the_message_is_published_at_once_and_stage_two_only_flags(
    two_stages, sockets, mum, volunteer, pairing
):
    amy, val = await sockets(mum), await sockets(volunteer)
    for socket in (amy, val):
        await socket.join(pairing.room_id)

    ack = await amy.ask(send_frame(pairing.room_id, RED_IN_OTHER_WORDS), "ack")
    assert ack["status"] == "published" and ack["message"]["seq"] == 1
    assert (await val.receive_until("message"))["message"]["id"] == ack["message"]["id"]
    await amy.receive_until("support")
    to_val = await val.receive_until("message_update")
    assert (to_val["message"]["status"], to_val["message"]["flag"]) == ("published", Level.RED)
    message = await stored(ack["message"]["id"])
    assert (message.status, message.seq, message.screening) == ("published", 1, "done")


async def test_with_the_workers_down_the_deadline_publishes_it_unscreened_and_it_is_flagged_later(
    two_stages, sockets, mum, other_mum, coordinator, open_room
):
    two_stages.VILLAGE_TASKS = "off"
    two_stages.VILLAGE_SCREENING_DEADLINE_SECONDS = 1.0
    two_stages.VILLAGE_SCREENING_SWEEP_SECONDS = 0.2
    amy, beth, cora = await sockets(mum), await sockets(other_mum), await sockets(coordinator)
    for socket in (amy, beth):
        await socket.join(open_room.pk)
    # The periodic work, as `manage.py run_periodic` runs it.
    stop = threading.Event()
    loop = threading.Thread(target=periodic.run_forever, kwargs={"stop": stop, "interval": 60})
    loop.start()
    try:
        ack = await amy.ask(send_frame(open_room.pk, RED_IN_OTHER_WORDS), "ack")
        acked_at = time.monotonic()
        assert ack["status"] == "screening"
        to_beth = await beth.receive_until("message", timeout=5)
        waited = time.monotonic() - acked_at
        assert to_beth["message"]["id"] == ack["message"]["id"] and to_beth["message"]["seq"] == 1
        # Within its deadline (1 s) and a sweep (0.2 s), with room for a busy machine.
        assert waited < 2.0, f"published {waited:.2f} s after the ack"
        message = await stored(ack["message"]["id"])
        assert (message.status, message.screening) == ("published", "overdue")
        backlog = await in_db_thread(services.screening_backlog)(now=timezone.now())
        assert backlog["published_unscreened"] == 1
    finally:
        stop.set()
        await asyncio.to_thread(loop.join, 5)

    # The workers are back: the next periodic run hands it to the model.
    two_stages.VILLAGE_TASKS = "thread"
    result = await in_db_thread(periodic.run_once)(clock=lambda: timezone.now() + timedelta(0))
    assert result["sent_back_to_the_model"] == 1
    flag = await cora.receive_until("flag")
    assert (flag["flag"]["level"], flag["flag"]["message"]) == (Level.RED, ack["message"]["id"])
    await amy.receive_until("support")
    assert tasks.wait_until_idle(10)
    message = await stored(ack["message"]["id"])
    assert (message.status, message.seq, message.screening) == ("published", 1, "late")
    assert await beth.nothing_more(("message",))


def test_operators_and_coordinators_see_when_the_model_is_behind(
    settings, client, mum, coordinator, open_room
):
    settings.VILLAGE_SCREENING_STAGES = 2
    settings.VILLAGE_TASKS = "off"
    waiting = services.send_message(
        author=mum, room_id=open_room.pk, client_id=uuid.uuid4(), body="Morning all"
    )
    late = services.send_message(
        author=mum, room_id=open_room.pk, client_id=uuid.uuid4(), body="Anyone about?"
    )
    assert waiting.status == late.status == "screening"
    ready = client.get("/healthz/ready").json()["screening"]
    assert ready == {"state": "ok", "waiting": 2, "past_deadline": 0, "published_unscreened": 0}
    client.force_login(coordinator)
    assert b"screening-behind" not in client.get("/staff/queue/").content

    Message.objects.filter(pk=late.message["id"]).update(
        screen_by=timezone.now() - timedelta(seconds=1)
    )
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200  # behind, but this process still serves and screens
    assert ready.json()["screening"] == {
        "state": "behind",
        "waiting": 2,
        "past_deadline": 1,
        "published_unscreened": 0,
    }
    assert periodic.sweep_screening(now=timezone.now()) == 1
    page = client.get("/staff/queue/").content.decode()
    assert 'data-testid="screening-behind"' in page
    assert "1 message went out before the model could read it" in page
    client.force_login(mum)
    assert "screening-behind" not in client.get("/").content.decode()


async def test_others_cannot_see_delete_or_release_a_message_being_screened(
    two_stages, sockets, mum, other_mum, volunteer, open_room
):
    two_stages.VILLAGE_TASKS = "off"
    amy, beth, val = await sockets(mum), await sockets(other_mum), await sockets(volunteer)
    for socket in (amy, beth, val):
        await socket.join(open_room.pk)
    ack = await amy.ask(send_frame(open_room.pk, "Morning all"), "ack")
    message_id = ack["message"]["id"]
    # Another member: as if it did not exist, whatever she tries.
    for frame in (
        {"type": "delete", "message": message_id},
        {"type": "release", "message": message_id},
        {"type": "report", "message": message_id, "reason": "other"},
    ):
        error = await beth.ask(frame, "error")
        assert error["code"] == "forbidden", (frame, error)
    history = await beth.ask({"type": "history", "room": open_room.pk, "after_seq": 0}, "history")
    assert history["messages"] == []
    # Her volunteer sees it, but it is not held: nothing to release.
    error = await val.ask({"type": "release", "message": message_id}, "error")
    assert error["code"] == "forbidden"
    # She may take it back; it never reaches the room.
    await amy.send({"type": "delete", "message": message_id})
    update = await amy.receive_until("message_update")
    assert (update["message"]["id"], update["message"]["status"]) == (message_id, "deleted")
    assert await beth.nothing_more(("message", "message_update"))
    assert await in_db_thread(tasks.run_now)(services.SCREENING_JOB, message_id=message_id) == (
        "read after it was shown"
    )
    assert (await stored(message_id)).status == "deleted"
