"""Screening on send, over the socket: SAFEGUARDING.md's table, level by level."""

from __future__ import annotations

import uuid

import pytest

from chat.models import Message
from infra.dbwork import in_db_thread
from moderation.models import Flag, Mute

pytestmark = pytest.mark.django_db(transaction=True)

RED = "I don't want to be here anymore, I want to end it all"
AMBER_HOSTILE = "you are a rubbish mum"
CONTACT = "ring me on 07911 123456"
CALM = "I could murder a cup of tea"


def send_frame(room_id: int, body: str) -> dict:
    return {"type": "send", "room": room_id, "client_id": str(uuid.uuid4()), "body": body}


async def everyone_in(sockets, room_id, *people):
    opened = [await sockets(p) for p in people]
    for socket in opened:
        await socket.join(room_id)
    return opened


async def test_red_in_a_group_is_held_shown_to_staff_highlighted_and_the_author_gets_the_card(
    sockets, mum, other_mum, volunteer, coordinator, open_room
):
    amy, beth, val, cora = await everyone_in(
        sockets, open_room.pk, mum, other_mum, volunteer, coordinator
    )
    ack = await amy.ask(send_frame(open_room.pk, RED), "ack")
    assert ack["status"] == "held" and ack["message"]["seq"] is None
    assert "flag" not in ack["message"]  # the author is not shown the flag
    card = await amy.receive_until("support")
    assert any("Samaritans" in p for p in card["card"]["paragraphs"])
    assert card["card"]["team_told"] is True
    assert not any(RED in p for p in card["card"]["paragraphs"])
    staff_copy = await val.receive_until("message")
    assert staff_copy["message"]["status"] == "held" and staff_copy["message"]["flag"] == "RED"
    flag_frame = await cora.receive_until("flag")
    assert flag_frame["flag"]["level"] == "RED" and flag_frame["flag"]["category"] == "self_harm"
    assert await beth.nothing_more(kinds=("message", "support", "flag"), timeout=0.5)
    assert await val.nothing_more(kinds=("support",), timeout=0.1)
    flag = await Flag.objects.select_related("message").aget()
    assert flag.message.body == RED and flag.subject_id == mum.pk


async def test_red_in_a_1to1_is_delivered_to_the_volunteer_flagged(
    sockets, mum, volunteer, pairing
):
    amy, val = await everyone_in(sockets, pairing.room_id, mum, volunteer)
    ack = await amy.ask(send_frame(pairing.room_id, RED), "ack")
    assert ack["status"] == "published" and ack["message"]["seq"] == 1
    await amy.receive_until("support")
    delivered = await val.receive_until("message")
    assert delivered["message"]["body"] == RED and delivered["message"]["flag"] == "RED"
    assert await Flag.objects.filter(level="RED", room_id=pairing.room_id).aexists()


async def test_amber_is_published_and_flagged_without_a_card(
    sockets, mum, other_mum, coordinator, open_room
):
    amy, beth, cora = await everyone_in(sockets, open_room.pk, mum, other_mum, coordinator)
    ack = await beth.ask(send_frame(open_room.pk, AMBER_HOSTILE), "ack")
    assert ack["status"] == "published"
    assert (await amy.receive_until("message"))["message"]["body"] == AMBER_HOSTILE
    assert (await cora.receive_until("flag"))["flag"]["level"] == "AMBER"
    assert await beth.nothing_more(kinds=("support",), timeout=0.3)


async def test_contact_details_are_held_with_a_kind_explanation(sockets, mum, other_mum, open_room):
    amy, beth = await everyone_in(sockets, open_room.pk, mum, other_mum)
    ack = await amy.ask(send_frame(open_room.pk, CONTACT), "ack")
    assert ack["status"] == "held"
    assert "contact details" in ack["notice"] or "phone numbers" in ack["notice"]
    assert await beth.nothing_more(kinds=("message",), timeout=0.3)
    flag = await Flag.objects.aget()
    assert flag.category == "contact"


async def test_everyday_phrases_pass_without_a_flag(sockets, mum, open_room):
    amy = await sockets(mum)
    ack = await amy.ask(send_frame(open_room.pk, CALM), "ack")
    assert ack["status"] == "published" and "notice" not in ack
    assert not await Flag.objects.aexists()


async def test_a_block_rule_keeps_the_message_and_tells_the_author_why(
    sockets, mum, other_mum, coordinator, open_room
):
    from moderation import services
    from moderation.models import Rule

    await in_db_thread(services.save_rule)(
        actor=coordinator,
        rule=Rule(term="buy followers", category="spam", level="AMBER", action="block"),
    )
    amy, beth = await everyone_in(sockets, open_room.pk, mum, other_mum)
    ack = await amy.ask(send_frame(open_room.pk, "cheap way to buy followers here"), "ack")
    assert ack["status"] == "blocked" and "wasn't shared" in ack["notice"]
    assert await beth.nothing_more(kinds=("message",), timeout=0.3)
    assert (await Message.objects.aget()).status == "blocked"


async def test_flag_and_message_commit_together(sockets, mum, open_room, monkeypatch):
    """If storing the flag fails, the message is not stored either (nothing half-done)."""
    from moderation import services as moderation_services

    def broken(**kwargs):
        raise RuntimeError("flag store failed")

    monkeypatch.setattr("chat.services.flag_message", broken)
    amy = await sockets(mum)
    error = await amy.ask(send_frame(open_room.pk, RED), "error")
    assert error["code"] == "server_error"
    assert not await Message.objects.aexists()
    assert moderation_services  # the real one is untouched


async def test_a_muted_member_gets_muted_until_the_mute_ends(sockets, mum, coordinator, open_room):
    from datetime import timedelta

    from django.utils import timezone

    from moderation import services

    mute = await in_db_thread(services.mute_member)(
        actor=coordinator, member=mum, room_id=open_room.pk, minutes=30, reason="cooling off"
    )
    amy = await sockets(mum)
    error = await amy.ask(send_frame(open_room.pk, "hello?"), "error")
    assert error["code"] == "muted" and error["until"]
    await Mute.objects.filter(pk=mute.pk).aupdate(until=timezone.now() - timedelta(seconds=1))
    ack = await amy.ask(send_frame(open_room.pk, "hello again"), "ack")
    assert ack["status"] == "published"


async def test_report_over_the_socket_never_tells_the_reported_person(
    sockets, mum, other_mum, coordinator, open_room
):
    amy, beth, cora = await everyone_in(sockets, open_room.pk, mum, other_mum, coordinator)
    ack = await beth.ask(send_frame(open_room.pk, "leave me alone all of you"), "ack")
    reported = await amy.ask(
        {
            "type": "report",
            "message": ack["message"]["id"],
            "reason": "worried",
            "note": "she seems low",
        },
        "reported",
    )
    assert reported == {"type": "reported", "message": ack["message"]["id"]}
    assert (await cora.receive_until("flag"))["flag"]["category"] == "wellbeing"
    assert await beth.nothing_more(kinds=("flag", "reported"), timeout=0.3)
    own = await beth.ask(
        {"type": "report", "message": ack["message"]["id"], "reason": "spam"}, "error"
    )
    assert own["code"] == "forbidden"
