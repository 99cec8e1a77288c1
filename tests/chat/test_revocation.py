"""Access taken away reaches live sockets within 2 seconds."""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings
from django.test import AsyncClient

from accounts import services as account_services
from chat import services
from infra.dbwork import in_db_thread
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
DEADLINE = 2.0


async def revoked_within_deadline(socket) -> tuple[dict, float]:
    """The `revoked` frame and the close that follows, with the seconds it took."""
    started = time.monotonic()
    frame = await socket.receive_until("revoked", timeout=DEADLINE)
    closed = await socket.communicator.receive_output(timeout=DEADLINE)
    elapsed = time.monotonic() - started
    assert closed == {"type": "websocket.close", "code": 4001}
    return frame, elapsed


def browser_with(session_key: str) -> AsyncClient:
    client = AsyncClient()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


async def test_logout_in_another_tab_closes_that_logins_socket_and_not_another_device(
    sockets, mum, open_room
):
    tab = await sockets(mum)
    other_device = await sockets(mum)
    started = time.monotonic()
    response = await browser_with(tab.session_key).post("/accounts/logout/")
    assert response.status_code == 302
    frame, _ = await revoked_within_deadline(tab)
    elapsed = time.monotonic() - started
    print(f"\nlogout closed the tab's socket in {elapsed * 1000:.0f} ms")
    assert frame == {"type": "revoked", "reason": "logged_out"}
    assert elapsed < DEADLINE
    assert (await other_device.join(open_room.pk))["type"] == "joined"


async def test_password_change_closes_every_socket_of_the_user(sockets, mum, other_mum):
    phone, laptop = await sockets(mum), await sockets(mum)
    bystander = await sockets(other_mum)
    response = await browser_with(phone.session_key).post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a new long passphrase",
            "password2": "a new long passphrase",
        },
    )
    assert response.status_code == 302
    for socket in (phone, laptop):
        frame, elapsed = await revoked_within_deadline(socket)
        assert frame["reason"] == "password_changed" and elapsed < DEADLINE
    assert await bystander.nothing_more(kinds=("revoked",))


async def test_role_change_closes_every_socket_of_the_user(sockets, coordinator, mum):
    socket = await sockets(mum)
    await in_db_thread(account_services.change_role)(
        actor=coordinator, person=mum, role="volunteer", reason="trained"
    )
    frame, elapsed = await revoked_within_deadline(socket)
    assert frame["reason"] == "role_changed" and elapsed < DEADLINE


async def test_socket_with_a_logged_out_session_is_refused(sockets, mum):
    socket = await sockets(mum)
    await browser_with(socket.session_key).post("/accounts/logout/")
    await revoked_within_deadline(socket)
    assert await sockets(mum, session_key=socket.session_key, expect_hello=False) is None


async def test_removal_from_a_room_sends_room_removed_and_stops_its_messages(
    sockets, coordinator, mum, other_mum, open_room
):
    amy, beth = await sockets(mum), await sockets(other_mum)
    await amy.join(open_room.pk)
    await beth.join(open_room.pk)
    started = time.monotonic()
    await in_db_thread(services.remove_from_room)(
        actor=coordinator, room_id=open_room.pk, person=mum, reason="asked to leave"
    )
    assert await amy.receive_until("room_removed", timeout=DEADLINE) == {
        "type": "room_removed",
        "room": open_room.pk,
    }
    assert time.monotonic() - started < DEADLINE
    await beth.ask(
        {"type": "send", "room": open_room.pk, "client_id": str(uuid.uuid4()), "body": "after"},
        "ack",
    )
    assert await amy.nothing_more(kinds=("message",), timeout=0.5)


async def test_end_of_a_pairing_makes_the_chat_read_only_but_readable(
    sockets, coordinator, mum, volunteer, pairing
):
    amy, val = await sockets(mum), await sockets(volunteer)
    await amy.join(pairing.room_id)
    await val.join(pairing.room_id)
    await amy.ask(
        {
            "type": "send",
            "room": pairing.room_id,
            "client_id": str(uuid.uuid4()),
            "body": "thank you",
        },
        "ack",
    )
    await in_db_thread(services.end_pairing)(
        actor=coordinator, pairing_id=pairing.pk, note="planned ending after 12 weeks"
    )
    for socket in (amy, val):
        update = await socket.receive_until("room_update", timeout=DEADLINE)
        assert update == {"type": "room_update", "room": pairing.room_id, "read_only": True}
    error = await amy.ask(
        {"type": "send", "room": pairing.room_id, "client_id": str(uuid.uuid4()), "body": "hello?"},
        "error",
    )
    assert error["code"] == "read_only"
    again = await sockets(mum)
    direct = next(r for r in again.hello["rooms"] if r["id"] == pairing.room_id)
    assert direct["read_only"] is True and direct["session_open"] is False
    joined = await again.join(pairing.room_id)
    assert [m["body"] for m in joined["messages"]] == ["thank you"]
    assert joined["read_only"] is True


async def test_suspension_closes_every_socket_of_the_member(sockets, coordinator, mum):
    from moderation import services as moderation_services

    phone = await sockets(mum)
    await in_db_thread(moderation_services.suspend_account)(
        actor=coordinator, member=mum, reason="threats to others"
    )
    frame, elapsed = await revoked_within_deadline(phone)
    assert frame["reason"] == "suspended" and elapsed < DEADLINE
    assert await sockets(mum, expect_hello=False) is None


async def test_no_event_reaches_a_socket_after_its_revocation(
    sockets, coordinator, mum, other_mum, volunteer, open_room
):
    """After each kind of revocation, the room keeps talking: 0 events reach the revoked."""
    val = await sockets(volunteer)
    await val.join(open_room.pk)
    removed = await sockets(mum)
    await removed.join(open_room.pk)
    await in_db_thread(services.remove_from_room)(
        actor=coordinator, room_id=open_room.pk, person=mum, reason="moved group"
    )
    await removed.receive_until("room_removed")
    suspended = await sockets(other_mum)
    await suspended.join(open_room.pk)
    from moderation import services as moderation_services

    await in_db_thread(moderation_services.suspend_account)(
        actor=coordinator, member=other_mum, reason="test"
    )
    await revoked_within_deadline(suspended)
    for n in range(5):
        await val.ask(
            {
                "type": "send",
                "room": open_room.pk,
                "client_id": str(uuid.uuid4()),
                "body": f"after {n}",
            },
            "ack",
        )
    delivered_after = (
        0 if await removed.nothing_more(kinds=("message", "typing", "presence"), timeout=0.5) else 1
    )
    delivered_after += suspended.communicator.output_queue.qsize()
    print(
        f"\nafter revocation: 5 messages sent to the room, "
        f"{delivered_after} delivered to the revoked"
    )
    assert delivered_after == 0
