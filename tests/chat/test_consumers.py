"""The WebSocket protocol, frame by frame, as docs/protocol.md describes it."""

from __future__ import annotations

import uuid

import pytest
from channels.testing import WebsocketCommunicator

from chat.models import Message
from tests.sockets import HOST, ORIGIN, room_ids
from village.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def send_frame(room_id: int, body: str = "Hello all", client_id: str | None = None) -> dict:
    return {
        "type": "send",
        "room": room_id,
        "client_id": client_id or str(uuid.uuid4()),
        "body": body,
    }


# --- connecting ---------------------------------------------------------------------


async def test_hello_names_the_person_and_her_rooms_with_unread_counts(
    sockets, mum, open_room, pairing
):
    socket = await sockets(mum)
    hello = socket.hello
    assert hello["user"] == {"id": mum.pk, "display_name": "Amy", "role": "member"}
    assert room_ids(hello) == {open_room.pk, pairing.room_id}
    group = next(r for r in hello["rooms"] if r["id"] == open_room.pk)
    assert group["kind"] == "group" and group["session_open"] is True
    assert group["name"] == "Thursday group"
    assert group["unread"] == 0 and group["last_seq"] == 0
    direct = next(r for r in hello["rooms"] if r["id"] == pairing.room_id)
    assert direct["kind"] == "direct" and direct["session_open"] is True


async def test_anonymous_connection_is_refused(db):
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[ORIGIN, HOST])
    connected, _ = await communicator.connect()
    assert not connected


async def test_foreign_origin_is_refused(mum):
    from infra.dbwork import in_db_thread
    from tests.sockets import mint_session

    key = await in_db_thread(mint_session)(mum)
    communicator = WebsocketCommunicator(
        application,
        "/ws/chat/",
        headers=[(b"cookie", f"sessionid={key}".encode()), (b"origin", b"https://evil.example")],
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_coordinator_without_mfa_is_refused_like_the_staff_pages(
    sockets, coordinator_without_mfa, coordinator
):
    assert await sockets(coordinator_without_mfa, expect_hello=False) is None
    assert (await sockets(coordinator)).hello["user"]["role"] == "coordinator"


# --- bad frames ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "bad_frame"),
        ("[1, 2]", "bad_frame"),
        ('"join"', "bad_frame"),
        ("{}", "bad_frame"),
        ('{"type": "join"}', "bad_frame"),
        ('{"type": "send", "room": 1, "body": "x"}', "bad_frame"),
        ('{"type": "join", "room": "1"}', "invalid"),
        ('{"type": "join", "room": true}', "invalid"),
        ('{"type": "join", "room": -4}', "invalid"),
        ('{"type": "join", "room": 99999999999999999999999}', "invalid"),
        ('{"type": "send", "room": 1, "client_id": "not-a-uuid", "body": "x"}', "invalid"),
        (f'{{"type": "send", "room": 1, "client_id": "{uuid.UUID(int=1)}", "body": 5}}', "invalid"),
        ('{"type": "history", "room": 1, "limit": 101}', "invalid"),
        ('{"type": "history", "room": 1, "before_seq": 3, "after_seq": 1}', "invalid"),
        ('{"type": "session", "room": 1, "action": "maybe"}', "invalid"),
        ('{"type": "join", "room": 1, "extra": 1}', "invalid"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "join", "room": ' + "[" * 1000 + "]" * 1000 + "}", "bad_frame"),
        ("[" * 1000 + "]" * 1000, "bad_frame"),
    ],
)
async def test_bad_frame_gets_an_error_and_the_socket_stays_usable(
    sockets, mum, open_room, text, code
):
    socket = await sockets(mum)
    await socket.send_text(text)
    error = await socket.receive_until("error")
    assert error["code"] == code
    assert error["detail"]
    joined = await socket.join(open_room.pk)
    assert joined["room"] == open_room.pk


async def test_binary_frame_is_answered_not_punished(sockets, mum, open_room):
    socket = await sockets(mum)
    await socket.communicator.send_to(bytes_data=b"\x00\x01")
    assert (await socket.receive_until("error"))["code"] == "bad_frame"
    assert (await socket.join(open_room.pk))["type"] == "joined"


async def test_oversize_frame_closes_with_1009(sockets, mum, settings):
    socket = await sockets(mum)
    await socket.send_text('{"type": "typing", "room": 1, "pad": "' + "x" * 20000 + '"}')
    closed = await socket.communicator.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 1009}


# --- join, send, history ------------------------------------------------------------


async def test_member_joins_sends_and_the_room_receives_it(sockets, mum, other_mum, open_room):
    amy, beth = await sockets(mum), await sockets(other_mum)
    await beth.join(open_room.pk)
    joined = await amy.join(open_room.pk)
    assert joined["session_open"] is True
    assert joined["messages"] == [] and joined["held"] == [] and joined["more"] is False
    assert {p["display_name"] for p in joined["online"]} == {"Amy", "Beth"}

    frame = send_frame(open_room.pk, "Morning all")
    ack = await amy.ask(frame, "ack")
    assert ack["client_id"] == frame["client_id"] and ack["status"] == "published"
    message = ack["message"]
    assert message["seq"] == 1 and message["body"] == "Morning all"
    assert message["author"] == {"id": mum.pk, "display_name": "Amy", "role": "member"}
    assert set(message) == {
        "id",
        "seq",
        "room",
        "author",
        "body",
        "created_at",
        "client_id",
        "status",
    }
    event = await beth.receive_until("message")
    assert event == {"type": "message", "room": open_room.pk, "message": message}


async def test_resend_with_same_client_id_returns_first_message_without_second_broadcast(
    sockets, mum, other_mum, open_room
):
    amy, beth = await sockets(mum), await sockets(other_mum)
    await amy.join(open_room.pk)
    await beth.join(open_room.pk)
    frame = send_frame(open_room.pk)
    first = await amy.ask(frame, "ack")
    await beth.receive_until("message")
    second = await amy.ask(frame, "ack")
    assert second["message"] == first["message"]
    assert await beth.nothing_more(kinds=("message",), timeout=0.5)
    assert await Message.objects.filter(client_id=frame["client_id"]).acount() == 1


async def test_too_long_message_is_refused_and_nothing_is_stored(sockets, mum, open_room):
    amy = await sockets(mum)
    await amy.join(open_room.pk)
    frame = send_frame(open_room.pk, "x" * 2001)
    error = await amy.ask(frame, "error")
    assert error["code"] == "too_long" and error["ref"] == frame["client_id"]
    ack = await amy.ask(send_frame(open_room.pk, "x" * 2000), "ack")
    assert ack["status"] == "published"
    assert await Message.objects.acount() == 1


async def test_empty_message_is_invalid(sockets, mum, open_room):
    amy = await sockets(mum)
    error = await amy.ask(send_frame(open_room.pk, "   \n "), "error")
    assert error["code"] == "invalid"


async def test_sixth_send_in_five_seconds_is_rate_limited_but_resends_are_not(
    sockets, mum, open_room
):
    amy = await sockets(mum)
    frames = [send_frame(open_room.pk, f"message {n}") for n in range(5)]
    for frame in frames:
        assert (await amy.ask(frame, "ack"))["status"] == "published"
    for frame in frames:  # resends of known client_ids do not count
        assert (await amy.ask(frame, "ack"))["status"] == "published"
    error = await amy.ask(send_frame(open_room.pk, "one too many"), "error")
    assert error["code"] == "rate_limited"
    assert 0 < error["retry_after"] <= 5
    assert await Message.objects.acount() == 5


async def test_history_pages_backwards_and_forwards(sockets, mum, open_room, settings):
    settings.VILLAGE_SEND_RATE_COUNT = 1000
    amy = await sockets(mum)
    for n in range(1, 8):
        await amy.ask(send_frame(open_room.pk, f"m{n}"), "ack")
    page = await amy.ask(
        {"type": "history", "room": open_room.pk, "before_seq": 6, "limit": 3}, "history"
    )
    assert [m["seq"] for m in page["messages"]] == [3, 4, 5] and page["more"] is True
    page = await amy.ask(
        {"type": "history", "room": open_room.pk, "before_seq": 3, "limit": 3}, "history"
    )
    assert [m["seq"] for m in page["messages"]] == [1, 2] and page["more"] is False
    page = await amy.ask(
        {"type": "history", "room": open_room.pk, "after_seq": 4, "limit": 2}, "history"
    )
    assert [m["seq"] for m in page["messages"]] == [5, 6] and page["more"] is True
    page = await amy.ask({"type": "history", "room": open_room.pk, "after_seq": 6}, "history")
    assert [m["seq"] for m in page["messages"]] == [7] and page["more"] is False


async def test_join_after_seq_pages_at_100(sockets, mum, open_room, settings):
    settings.VILLAGE_SEND_RATE_COUNT = 1000
    amy = await sockets(mum)
    for n in range(105):
        await amy.ask(send_frame(open_room.pk, f"m{n}"), "ack")
    joined = await amy.join(open_room.pk, after_seq=2)
    assert [m["seq"] for m in joined["messages"]] == list(range(3, 103))
    assert joined["more"] is True
    latest = await amy.join(open_room.pk)
    assert [m["seq"] for m in latest["messages"]] == list(range(56, 106))
    assert latest["more"] is True  # earlier ones exist


async def test_typing_reaches_others_but_not_the_typist(sockets, mum, other_mum, open_room):
    amy, beth = await sockets(mum), await sockets(other_mum)
    await amy.join(open_room.pk)
    await beth.join(open_room.pk)
    await amy.send({"type": "typing", "room": open_room.pk})
    typing = await beth.receive_until("typing")
    assert typing == {
        "type": "typing",
        "room": open_room.pk,
        "user": {"id": mum.pk, "display_name": "Amy", "role": "member"},
    }
    assert await amy.nothing_more(kinds=("typing",))


async def test_read_position_sets_unread_counts(sockets, mum, other_mum, open_room, settings):
    settings.VILLAGE_SEND_RATE_COUNT = 100
    beth = await sockets(other_mum)
    for n in range(3):
        await beth.ask(send_frame(open_room.pk, f"m{n}"), "ack")
    amy = await sockets(mum)
    assert next(r for r in amy.hello["rooms"] if r["id"] == open_room.pk)["unread"] == 3
    await amy.send({"type": "read", "room": open_room.pk, "seq": 2})
    await amy.join(open_room.pk)  # a round trip: the read is stored by now
    again = await sockets(mum)
    assert next(r for r in again.hello["rooms"] if r["id"] == open_room.pk)["unread"] == 1


async def test_presence_shows_who_is_online_and_respects_appear_offline(
    sockets, mum, other_mum, volunteer, open_room
):
    other_mum.show_online = False
    await other_mum.asave(update_fields=["show_online"])
    val = await sockets(volunteer)
    await val.join(open_room.pk)
    beth, amy = await sockets(other_mum), await sockets(mum)
    await beth.join(open_room.pk)
    joined = await amy.join(open_room.pk)
    assert [p["display_name"] for p in joined["online"]] == ["Amy", "Val"]
    assert next(p for p in joined["online"] if p["display_name"] == "Val")["role"] == "volunteer"
    presence = await val.receive_until("presence")
    while "Amy" not in {p["display_name"] for p in presence["online"]}:
        presence = await val.receive_until("presence")
    await amy.send({"type": "leave", "room": open_room.pk})
    presence = await val.receive_until("presence")
    assert [p["display_name"] for p in presence["online"]] == ["Val"]


async def test_leave_stops_events_from_that_room(sockets, mum, other_mum, open_room):
    amy, beth = await sockets(mum), await sockets(other_mum)
    await amy.join(open_room.pk)
    await beth.join(open_room.pk)
    await amy.send({"type": "leave", "room": open_room.pk})
    await beth.ask(send_frame(open_room.pk), "ack")
    assert await amy.nothing_more(kinds=("message",), timeout=0.5)


async def test_author_deletes_her_message_and_members_see_it_removed_without_body(
    sockets, mum, other_mum, volunteer, open_room
):
    amy, beth, val = await sockets(mum), await sockets(other_mum), await sockets(volunteer)
    for socket in (amy, beth, val):
        await socket.join(open_room.pk)
    ack = await amy.ask(send_frame(open_room.pk, "oops, wrong chat"), "ack")
    await amy.send({"type": "delete", "message": ack["message"]["id"]})
    update = await beth.receive_until("message_update")
    assert update["message"]["status"] == "deleted" and update["message"]["body"] is None
    assert update["message"]["seq"] == 1
    staff_view = await val.receive_until("message_update")
    assert staff_view["message"]["body"] == "oops, wrong chat"
    error = await beth.ask({"type": "delete", "message": ack["message"]["id"]}, "error")
    assert error["code"] == "forbidden"


# --- sessions -----------------------------------------------------------------------


async def test_lead_opens_and_closes_a_session_and_everyone_is_told(
    sockets, mum, volunteer, group_room
):
    val, amy = await sockets(volunteer), await sockets(mum)
    await val.join(group_room.pk)
    joined = await amy.join(group_room.pk)
    assert joined["session_open"] is False
    error = await amy.ask(send_frame(group_room.pk), "error")
    assert error["code"] == "session_closed"
    await val.send({"type": "session", "room": group_room.pk, "action": "open"})
    assert await amy.receive_until("session") == {
        "type": "session",
        "room": group_room.pk,
        "open": True,
    }
    assert (await amy.ask(send_frame(group_room.pk), "ack"))["status"] == "published"
    await val.send({"type": "session", "room": group_room.pk, "action": "close"})
    assert (await amy.receive_until("session"))["open"] is False
    assert (await amy.ask(send_frame(group_room.pk), "error"))["code"] == "session_closed"


async def test_member_cannot_open_a_session(sockets, mum, group_room):
    amy = await sockets(mum)
    await amy.join(group_room.pk)
    error = await amy.ask({"type": "session", "room": group_room.pk, "action": "open"}, "error")
    assert error["code"] == "forbidden"


async def test_members_can_read_history_while_the_session_is_closed(
    sockets, mum, volunteer, open_room
):
    amy = await sockets(mum)
    await amy.ask(send_frame(open_room.pk, "before closing"), "ack")
    val = await sockets(volunteer)
    await val.send({"type": "session", "room": open_room.pk, "action": "close"})
    await val.join(open_room.pk)
    joined = await amy.join(open_room.pk)
    assert joined["session_open"] is False
    assert [m["body"] for m in joined["messages"]] == ["before closing"]
