"""Two daphne processes sharing one Redis behave like one."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import websockets
from django.conf import settings

from tests.servers import DaphneServer
from tests.sockets import mint_session

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


async def open_socket(server: DaphneServer, session_key: str):
    socket = await websockets.connect(
        server.url.replace("http", "ws") + "/ws/chat/",
        additional_headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}",
            "Origin": server.url,
        },
    )
    hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert hello["type"] == "hello"
    return socket


async def next_of(socket, kind: str, timeout: float = 5) -> dict:
    async def wait():
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == kind:
                return frame

    return await asyncio.wait_for(wait(), timeout)


def test_a_message_sent_through_one_process_reaches_a_client_of_the_other(
    tmp_path, mum, other_mum, volunteer, open_room
):
    amy_key, beth_key = mint_session(mum), mint_session(other_mum)
    servers = [
        DaphneServer(mail_dir=tmp_path, log_path=tmp_path / f"daphne-{n}.log").start()
        for n in (1, 2)
    ]
    try:

        async def scenario():
            amy = await open_socket(servers[0], amy_key)
            beth = await open_socket(servers[1], beth_key)
            for socket in (amy, beth):
                await socket.send(json.dumps({"type": "join", "room": open_room.pk}))
                await next_of(socket, "joined")
            # Presence is shared too: Amy, on process 1, sees Beth of process 2.
            presence = await next_of(amy, "presence")
            while "Beth" not in {p["display_name"] for p in presence["online"]}:
                presence = await next_of(amy, "presence")
            client_id = str(uuid.uuid4())
            await amy.send(
                json.dumps(
                    {"type": "send", "room": open_room.pk, "client_id": client_id, "body": "across"}
                )
            )
            ack = await next_of(amy, "ack")
            event = await next_of(beth, "message")
            await amy.close()
            await beth.close()
            return ack, event

        ack, event = asyncio.run(scenario())
        assert event["message"] == ack["message"]
        assert event["message"]["body"] == "across" and event["message"]["seq"] == 1
    finally:
        for server in servers:
            server.stop()
        for server in servers:
            assert "Exception inside application" not in server.logs(), server.logs()


def test_rate_limit_holds_across_processes(tmp_path, mum, open_room):
    """Five sends through one process and a sixth through the other: limited."""
    key = mint_session(mum)
    servers = [
        DaphneServer(mail_dir=tmp_path, log_path=tmp_path / f"daphne-{n}.log").start()
        for n in (1, 2)
    ]
    try:

        async def scenario():
            first = await open_socket(servers[0], key)
            second = await open_socket(servers[1], key)
            for n in range(5):
                await first.send(
                    json.dumps(
                        {
                            "type": "send",
                            "room": open_room.pk,
                            "client_id": str(uuid.uuid4()),
                            "body": f"m{n}",
                        }
                    )
                )
                await next_of(first, "ack")
            await second.send(
                json.dumps(
                    {
                        "type": "send",
                        "room": open_room.pk,
                        "client_id": str(uuid.uuid4()),
                        "body": "sixth",
                    }
                )
            )
            error = await next_of(second, "error")
            await first.close()
            await second.close()
            return error

        assert asyncio.run(scenario())["code"] == "rate_limited"
    finally:
        for server in servers:
            server.stop()
