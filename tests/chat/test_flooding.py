"""Flooding: one person cannot drown a room, open endless sockets or guess passwords."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from django.urls import reverse

from chat.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_thousand_sends_in_ten_seconds_are_limited_while_others_chat_normally(
    sockets, mum, other_mum, volunteer, open_room
):
    amy, beth, val = await sockets(mum), await sockets(other_mum), await sockets(volunteer)
    for socket in (amy, beth, val):
        await socket.join(open_room.pk)
    started = time.monotonic()
    acked = limited = 0
    latencies = []
    for n in range(1000):
        await amy.send(
            {
                "type": "send",
                "room": open_room.pk,
                "client_id": str(uuid.uuid4()),
                "body": f"flood {n}",
            }
        )
        if n % 250 == 50:  # Beth chats at her own pace, within her own limit
            sent_at = time.monotonic()
            await beth.send(
                {
                    "type": "send",
                    "room": open_room.pk,
                    "client_id": str(uuid.uuid4()),
                    "body": f"beth {n}",
                }
            )
            while True:
                frame = await val.receive_until("message", timeout=5)
                if frame["message"]["body"] == f"beth {n}":
                    latencies.append(time.monotonic() - sent_at)
                    break
    while acked + limited < 1000:
        frame = await amy.receive(timeout=10)
        if frame["type"] == "ack":
            acked += 1
        elif frame["type"] == "error":
            assert frame["code"] == "rate_limited" and frame["retry_after"] > 0
            limited += 1
    elapsed = time.monotonic() - started
    stored = await Message.objects.filter(author=mum).acount()
    print(
        f"\nflood: 1000 sends in {elapsed:.1f} s, {acked} accepted, {limited} rate_limited; "
        f"Beth's messages reached Val in max {max(latencies) * 1000:.0f} ms"
    )
    assert stored == acked <= 5 * (int(elapsed / 5) + 2)
    assert await Message.objects.filter(author=other_mum).acount() == len(latencies) == 4
    assert max(latencies) < 2.0


async def test_more_than_ten_sockets_per_person_are_refused(sockets, mum, other_mum):
    opened = [await sockets(mum) for _ in range(10)]
    assert all(opened)
    assert await sockets(mum, expect_hello=False) is None
    assert await sockets(other_mum) is not None  # others are not affected
    await opened[0].communicator.disconnect()
    await asyncio.sleep(0.1)
    assert await sockets(mum) is not None  # a place is free again


def test_login_brute_force_is_throttled_even_with_forged_forwarded_for(client, mum):
    attempts = blocked = 0
    for n in range(12):
        response = client.post(
            reverse("account_login"),
            {"login": mum.email, "password": f"guess-{n}"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
        attempts += 1
        if (
            "Too many failed login attempts" in response.content.decode()
            or response.status_code == 429
        ):
            blocked += 1
    print(f"\nbrute force: {attempts} attempts from forged addresses, {blocked} throttled")
    assert blocked >= 6
    other = [
        client.post(
            reverse("account_login"),
            {"login": f"nobody{n}@example.net", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
        for n in range(12)
    ]
    assert other[-1].status_code == 429 or "Too many" in other[-1].content.decode()
