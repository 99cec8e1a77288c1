"""Nothing lost, nothing duplicated, nothing leaked: the delivery contract."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import OperationalError, connections

from chat import services
from chat.models import Message, Room
from moderation.services import Verdict
from tests.conftest import make_member

pytestmark = pytest.mark.django_db(transaction=True)


def send_frame(room_id: int, body: str = "hello") -> dict:
    return {"type": "send", "room": room_id, "client_id": str(uuid.uuid4()), "body": body}


@pytest.fixture
def holding_hook(monkeypatch):
    """The moderation hook, holding every message that says HOLD."""

    def screen(*, author, room, body, with_model=True):
        return Verdict("hold", "AMBER", "test") if "HOLD" in body else Verdict("publish")

    monkeypatch.setattr(services, "screen_message", screen)


@pytest.mark.postgres
def test_200_concurrent_sends_from_8_threads_give_gapless_seqs_even_when_some_fail(
    coordinator, monkeypatch, settings
):
    """8 real threads send 200 messages at once, with failing transactions among them."""
    settings.VILLAGE_SEND_RATE_COUNT = 10_000
    room = services.create_room(actor=coordinator, name="Busy", always_open=True, capacity=20)
    authors = [make_member(f"t{n}@example.net", f"T{n}") for n in range(8)]
    for author in authors:
        services.enrol_member(actor=coordinator, room_id=room.pk, member=author)
    real_publish = services._publish

    def failing_publish(room, message):
        real_publish(room, message)
        if message.body.endswith("fail"):
            raise RuntimeError("injected failure after the seq was taken")

    monkeypatch.setattr(services, "_publish", failing_publish)
    barrier = threading.Barrier(8)
    errors: list[Exception] = []
    failed = []

    def sender(author):
        try:
            barrier.wait()
            for n in range(25):
                bodies = [f"{author.display_name} {n}"]
                if n % 4 == 0:
                    bodies.insert(0, f"{author.display_name} {n} fail")
                for body in bodies:
                    try:
                        services.send_message(
                            author=author, room_id=room.pk, client_id=uuid.uuid4(), body=body
                        )
                    except RuntimeError:
                        failed.append(body)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender, args=(a,)) for a in authors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    seqs = sorted(Message.objects.filter(room=room).values_list("seq", flat=True))
    print(
        f"\n{len(seqs) + len(failed)} sends from 8 threads, {len(failed)} failing after taking "
        f"a seq: {len(seqs)} stored with seq {seqs[0]}..{seqs[-1]}, gaps: "
        f"{len(set(range(1, 201)) - set(seqs))}, duplicates: {len(seqs) - len(set(seqs))}"
    )
    assert len(failed) == 56
    assert seqs == list(range(1, 201))
    assert Room.objects.get(pk=room.pk).last_seq == 200


async def test_reconnect_with_after_seq_returns_exactly_the_missed_messages(
    sockets, mum, other_mum, open_room
):
    amy, beth = await sockets(mum), await sockets(other_mum)
    await amy.join(open_room.pk)
    for n in range(2):
        await beth.ask(send_frame(open_room.pk, f"seen {n}"), "ack")
        await amy.receive_until("message")
    await amy.communicator.disconnect()
    for n in range(3):
        await beth.ask(send_frame(open_room.pk, f"missed {n}"), "ack")
    amy_again = await sockets(mum)
    joined = await amy_again.join(open_room.pk, after_seq=2)
    assert [(m["seq"], m["body"]) for m in joined["messages"]] == [
        (3, "missed 0"),
        (4, "missed 1"),
        (5, "missed 2"),
    ]
    assert joined["more"] is False


async def test_held_message_reaches_only_its_author_and_the_room_staff_and_survives_reconnect(
    sockets, mum, other_mum, volunteer, coordinator, open_room, holding_hook
):
    amy, beth, val = await sockets(mum), await sockets(other_mum), await sockets(volunteer)
    for socket in (amy, beth, val):
        await socket.join(open_room.pk)
    ack = await amy.ask(send_frame(open_room.pk, "HOLD this please"), "ack")
    assert ack["status"] == "held" and ack["message"]["seq"] is None
    staff_copy = await val.receive_until("message")
    assert staff_copy["message"]["status"] == "held"
    assert staff_copy["message"]["body"] == "HOLD this please"
    assert await beth.nothing_more(kinds=("message",), timeout=0.5)

    # After a reconnect the author and the staff still have it; Beth does not.
    for person, expected in ((mum, 1), (volunteer, 1), (coordinator, 1), (other_mum, 0)):
        socket = await sockets(person)
        joined = await socket.join(open_room.pk)
        assert len(joined["held"]) == expected, person.display_name
        assert joined["messages"] == []


async def test_released_message_gets_the_next_seq_and_reaches_the_room(
    sockets, mum, other_mum, volunteer, open_room, holding_hook
):
    amy, beth, val = await sockets(mum), await sockets(other_mum), await sockets(volunteer)
    for socket in (amy, beth, val):
        await socket.join(open_room.pk)
    held = await amy.ask(send_frame(open_room.pk, "HOLD me"), "ack")
    await beth.ask(send_frame(open_room.pk, "published first"), "ack")
    await val.send({"type": "release", "message": held["message"]["id"]})
    for socket in (amy, beth):
        event = await socket.receive_until("message")
        while event["message"]["id"] != held["message"]["id"] or event["message"]["seq"] is None:
            event = await socket.receive_until("message")
        assert event["message"]["status"] == "published" and event["message"]["seq"] == 2


async def test_blocked_message_is_kept_and_told_only_to_author_and_staff(
    sockets, mum, other_mum, volunteer, open_room, holding_hook
):
    amy, beth, val = await sockets(mum), await sockets(other_mum), await sockets(volunteer)
    for socket in (amy, beth, val):
        await socket.join(open_room.pk)
    held = await amy.ask(send_frame(open_room.pk, "HOLD and block"), "ack")
    await val.receive_until("message")
    await val.send({"type": "block", "message": held["message"]["id"]})
    for socket in (amy, val):
        assert (await socket.receive_until("message_update"))["message"]["status"] == "blocked"
    assert await beth.nothing_more(kinds=("message", "message_update"), timeout=0.5)
    stored = await Message.objects.aget(pk=held["message"]["id"])
    assert stored.status == "blocked" and stored.body == "HOLD and block" and stored.seq is None


async def test_volunteer_cannot_release_her_own_held_message(
    sockets, volunteer, open_room, holding_hook
):
    val = await sockets(volunteer)
    await val.join(open_room.pk)
    held = await val.ask(send_frame(open_room.pk, "HOLD mine"), "ack")
    error = await val.ask({"type": "release", "message": held["message"]["id"]}, "error")
    assert error["code"] == "forbidden"


async def test_member_cannot_release_held_messages(
    sockets, mum, other_mum, open_room, holding_hook
):
    amy, beth = await sockets(mum), await sockets(other_mum)
    held = await amy.ask(send_frame(open_room.pk, "HOLD x"), "ack")
    error = await beth.ask({"type": "release", "message": held["message"]["id"]}, "error")
    assert error["code"] == "forbidden"


async def test_send_while_the_database_is_unreachable_gets_unavailable_and_a_retry_works(
    sockets, mum, open_room, monkeypatch
):
    from django.db.backends.base.base import BaseDatabaseWrapper

    amy = await sockets(mum)
    await amy.join(open_room.pk)

    def unreachable(self):
        raise OperationalError("could not connect to server: Connection refused")

    frame = send_frame(open_room.pk, "are you there?")
    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "ensure_connection", unreachable)
        error = await amy.ask(frame, "error")
    assert error["code"] == "unavailable" and error["ref"] == frame["client_id"]
    assert await amy.nothing_more(kinds=("ack",))
    assert await Message.objects.acount() == 0
    # The database is back: the same client_id is safe to retry.
    ack = await amy.ask(frame, "ack")
    assert ack["status"] == "published" and ack["message"]["seq"] == 1


async def test_a_broadcast_that_cannot_reach_the_layer_still_stores_and_acknowledges(
    sockets, mum, open_room, monkeypatch, settings
):
    """A paused Redis must not freeze sends: the layer call gives up after its timeout."""
    import asyncio

    from channels.layers import get_channel_layer

    settings.VILLAGE_LAYER_TIMEOUT = 0.2
    amy = await sockets(mum)
    await amy.join(open_room.pk)
    layer = get_channel_layer()

    async def stuck(group, message):
        await asyncio.sleep(60)

    monkeypatch.setattr(layer, "group_send", stuck)
    ack = await amy.ask(send_frame(open_room.pk, "stored anyway"), "ack", timeout=3)
    assert ack["status"] == "published"
    assert await Message.objects.filter(body="stored anyway").aexists()


def test_same_client_id_in_another_room_is_invalid(coordinator, mum, other_room, open_room):
    services.enrol_member(actor=coordinator, room_id=other_room.pk, member=mum)
    client_id = uuid.uuid4()
    services.send_message(author=mum, room_id=open_room.pk, client_id=client_id, body="one")
    with pytest.raises(services.ChatError) as error:
        services.send_message(author=mum, room_id=other_room.pk, client_id=client_id, body="two")
    assert error.value.code == "invalid"
    assert Message.objects.count() == 1


async def test_unknown_message_ids_are_forbidden_like_other_peoples(
    sockets, mum, other_mum, open_room
):
    amy, beth = await sockets(mum), await sockets(other_mum)
    ack = await beth.ask(send_frame(open_room.pk, "Beth's"), "ack")
    theirs = await amy.ask({"type": "delete", "message": ack["message"]["id"]}, "error")
    missing = await amy.ask({"type": "delete", "message": 10**12}, "error")
    assert theirs["code"] == missing["code"] == "forbidden"
    assert theirs["detail"] == missing["detail"]


async def test_deleting_a_held_message_tells_no_one_else_it_existed(
    sockets, mum, other_mum, volunteer, open_room, holding_hook
):
    amy, beth, val = await sockets(mum), await sockets(other_mum), await sockets(volunteer)
    for socket in (amy, beth, val):
        await socket.join(open_room.pk)
    held = await amy.ask(send_frame(open_room.pk, "HOLD then regret"), "ack")
    await amy.send({"type": "delete", "message": held["message"]["id"]})
    assert (await amy.receive_until("message_update"))["message"]["status"] == "deleted"
    assert (await val.receive_until("message_update"))["message"]["status"] == "deleted"
    assert await beth.nothing_more(kinds=("message", "message_update"), timeout=0.5)
