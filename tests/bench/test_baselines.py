"""The baseline servers of the load harness speak the protocol subset correctly.

Each baseline runs as a real process on a free port and three `websockets`
clients drive it; a broken baseline would make the load figures meaningless
(a message counted that never arrived, or arrived twice).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import RUN_PREFIX
from tests.servers import ROOT, free_port, wait_until_listening

ROOM = 7


def start(command: list[str], port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """Start a server and wait until `port` accepts connections."""
    log = log_path.open("w")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    try:
        wait_until_listening(process, port, log_path)
    except RuntimeError:
        stop(process)
        raise
    return process


def stop(process: subprocess.Popen) -> int:
    """SIGTERM, as the harness stops a server; its exit code."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


def ws_broadcast_command(port: int) -> list[str]:
    return [sys.executable, "-m", "bench.baselines.ws_broadcast", "--port", str(port)]


def relay_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "bench.baselines.relay:application",
    ]


# pytest-django exports the project's settings; the relay must not inherit them.
RELAY_ENV = {"DJANGO_SETTINGS_MODULE": "bench.baselines.relay_settings"}


class Baseline(NamedTuple):
    name: str
    url: str


@pytest.fixture(
    params=[
        pytest.param((ws_broadcast_command, {}), id="ws_broadcast"),
        pytest.param((relay_command, {**RELAY_ENV, "BENCH_LAYER": "memory"}), id="relay-memory"),
        pytest.param(
            (relay_command, {**RELAY_ENV, "BENCH_LAYER": "pubsub"}),
            id="relay-pubsub",
            marks=pytest.mark.redis,
        ),
    ]
)
def server(request, tmp_path) -> Iterator[Baseline]:
    """A running baseline and its ws:// address."""
    command, env = request.param
    if env.get("BENCH_LAYER") == "pubsub":
        env = {**env, "REDIS_URL": settings.REDIS_URL, "BENCH_LAYER_PREFIX": f"{RUN_PREFIX}:bench"}
    port = free_port()
    process = start(command(port), port, env, tmp_path / "server.log")
    yield Baseline(request.node.callspec.id, f"ws://127.0.0.1:{port}/ws/chat/")
    assert stop(process) == 0, (tmp_path / "server.log").read_text()


async def receive(client: ClientConnection, timeout: float = 5) -> dict:
    return json.loads(await asyncio.wait_for(client.recv(), timeout))


async def nothing_more(client: ClientConnection, wait: float = 0.5) -> list[dict]:
    """The frames that arrive within `wait` (none, when all is well)."""
    frames = []
    try:
        while True:
            frames.append(await receive(client, timeout=wait))
    except TimeoutError:
        return frames


async def test_three_clients_in_a_room(server):
    async with (
        connect(f"{server.url}?user=1") as amy,
        connect(f"{server.url}?user=2") as beth,
        connect(f"{server.url}?user=3") as cara,
    ):
        clients = {1: amy, 2: beth, 3: cara}
        for user, client in clients.items():
            assert await receive(client) == {
                "type": "hello",
                "user": {"id": user, "display_name": f"u{user}", "role": "member"},
                "rooms": [],
            }
            await client.send(json.dumps({"type": "join", "room": ROOM, "after_seq": None}))
            assert await receive(client) == {
                "type": "joined",
                "room": ROOM,
                "messages": [],
                "more": False,
                "online": [],
            }

        sent = {}  # client_id -> (author, body)
        for user, body in ((1, "hello from Amy ✨"), (2, "and Beth")):
            client_id = str(uuid.uuid4())
            sent[client_id] = (user, body)
            await clients[user].send(
                json.dumps({"type": "send", "room": ROOM, "client_id": client_id, "body": body})
            )
        senders = {author for author, _ in sent.values()}
        expected = sorted((c, author, body) for c, (author, body) in sent.items())

        for user, client in clients.items():
            # Every message once to everyone in the room, plus each sender's own ack.
            count = len(sent) + (1 if user in senders else 0)
            frames = [await receive(client) for _ in range(count)]
            frames += await nothing_more(client)  # a duplicate would show here
            acks = [f for f in frames if f["type"] == "ack"]
            assert [sent[a["client_id"]][0] for a in acks] == ([user] if user in senders else [])
            for ack in acks:
                assert ack["message"]["client_id"] == ack["client_id"]
            events = [f for f in frames if f["type"] != "ack"]
            assert all(f["type"] == "message" and f["room"] == ROOM for f in events), events
            assert all(f["message"]["status"] == "published" for f in events), events
            got = sorted(
                (f["message"]["client_id"], f["message"]["author"]["id"], f["message"]["body"])
                for f in events
            )
            assert got == expected, user

        # After a leave nothing of the room arrives; an unknown frame is refused.
        await cara.send(json.dumps({"type": "leave", "room": ROOM}))
        await asyncio.sleep(0.2)  # the leave is unanswered: let it land first
        client_id = str(uuid.uuid4())
        await amy.send(
            json.dumps({"type": "send", "room": ROOM, "client_id": client_id, "body": "bye"})
        )
        assert (await receive(amy))["type"] == "ack"
        assert (await receive(beth))["message"]["client_id"] == client_id
        assert await nothing_more(cara) == []

        await cara.send(json.dumps({"type": "dance", "room": ROOM}))
        error = await receive(cara)
        assert error["type"] == "error"
        assert error["code"] == "invalid"
        assert error["ref"] is None


async def test_ids_and_sequence(server):
    """Ids grow; ws_broadcast numbers each room, the relay (no store) sends null."""
    async with connect(server.url) as client:
        hello = await receive(client)
        assert isinstance(hello["user"]["id"], int)
        await client.send(json.dumps({"type": "join", "room": ROOM}))
        assert (await receive(client))["type"] == "joined"
        messages = []
        for body in ("one", "two"):
            await client.send(
                json.dumps(
                    {"type": "send", "room": ROOM, "client_id": str(uuid.uuid4()), "body": body}
                )
            )
            ack, broadcast = await receive(client), await receive(client)
            assert ack["type"] == "ack" and broadcast["type"] == "message"
            assert ack["message"] == broadcast["message"]
            messages.append(broadcast["message"])
        first, second = messages
        assert second["id"] > first["id"]
        assert first["author"]["id"] == hello["user"]["id"]
        assert first["created_at"].endswith("+00:00")
        if server.name.startswith("relay"):
            assert first["seq"] is None and second["seq"] is None
        else:
            assert second["seq"] == first["seq"] + 1
