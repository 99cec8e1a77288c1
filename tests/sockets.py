"""Socket fixtures: logged-in WebsocketCommunicators and a clean real-time state.

Socket tests are async, use `transaction=True` and close the connections of
the database threads afterwards (otherwise the test database cannot be
dropped and later tests see leftover rows).
"""

from __future__ import annotations

import asyncio
import json
from importlib import import_module

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connections

from chat import presence, ratelimit
from infra.dbwork import close_db_thread_connections, in_db_thread
from village.asgi import application

# How long a frame that must come may take. The promises with a deadline
# (revocation, clearance: 2 s) pass their own; this is only the wait, and on
# two busy test workers a frame can take longer than 2 s to be answered.
FRAME_TIMEOUT = 5.0

ORIGIN = (b"origin", b"http://localhost")
# The handshake's own Host: ORIGIN is its origin (infra.origins).
HOST = (b"host", b"localhost")


def mint_session(user) -> str:
    """A logged-in browser session for `user`, as a login would leave it."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


class Socket:
    """A WebsocketCommunicator with the helpers the tests need."""

    def __init__(self, communicator: WebsocketCommunicator, session_key: str):
        self.communicator = communicator
        self.session_key = session_key
        self.hello: dict = {}

    async def send(self, frame: dict) -> None:
        await self.communicator.send_to(text_data=json.dumps(frame))

    async def send_text(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def receive(self, timeout: float = FRAME_TIMEOUT) -> dict:
        return json.loads(await self.communicator.receive_from(timeout=timeout))

    async def receive_until(self, kind: str, timeout: float = FRAME_TIMEOUT) -> dict:
        """Skip other frames (presence, typing) until one of `kind` arrives."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.receive(timeout=max(0.01, deadline - loop.time()))
            if frame["type"] == kind:
                return frame

    async def ask(self, frame: dict, kind: str, timeout: float = FRAME_TIMEOUT) -> dict:
        await self.send(frame)
        return await self.receive_until(kind, timeout)

    async def nothing_more(self, kinds: tuple[str, ...] = (), timeout: float = 0.3) -> bool:
        """True if no frame (of `kinds`, or any) arrives within `timeout`.

        Reads the output queue directly: a timed-out receive would cancel the app.
        """
        await asyncio.sleep(timeout)
        queue = self.communicator.output_queue
        while not queue.empty():
            message = queue.get_nowait()
            if message["type"] != "websocket.send":
                return False
            if not kinds or json.loads(message["text"])["type"] in kinds:
                return False
        return True

    async def join(self, room_id: int, after_seq: int | None = None, **extra) -> dict:
        frame = {"type": "join", "room": room_id, "after_seq": after_seq, **extra}
        return await self.ask(frame, "joined")


@pytest.fixture
async def sockets():
    """`await sockets(user)` opens a logged-in socket; all are closed afterwards."""
    opened: list[Socket] = []

    async def open_socket(user, *, session_key: str | None = None, expect_hello: bool = True):
        key = session_key or await in_db_thread(mint_session)(user)
        communicator = WebsocketCommunicator(
            application,
            "/ws/chat/",
            headers=[(b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode()), ORIGIN, HOST],
        )
        connected, _ = await communicator.connect(timeout=5)
        socket = Socket(communicator, key)
        opened.append(socket)
        if not connected:
            return None
        if expect_hello:
            socket.hello = await socket.receive_until("hello", timeout=5)
        return socket

    yield open_socket
    # A socket whose app was cancelled (a receive that timed out) raises
    # CancelledError here, which pytest does not catch: the database would not
    # be flushed and every later test would fail. Close the rest, then fail.
    failures: list[BaseException] = []
    for socket in opened:
        try:
            await socket.communicator.disconnect(timeout=5)
        except (asyncio.CancelledError, Exception) as error:
            failures.append(error)
    await close_socket_test_connections()
    if failures:
        raise RuntimeError(f"{len(failures)} socket(s) did not close cleanly") from failures[0]


async def close_socket_test_connections() -> None:
    await database_sync_to_async(connections.close_all)()
    await asyncio.to_thread(close_db_thread_connections)


@pytest.fixture(autouse=True)
def fresh_realtime_state():
    """Empty in-memory layer, presence and rate limits for every test."""
    layer = get_channel_layer()
    if hasattr(layer, "flush") and not settings.REDIS_URL:
        asyncio.run(layer.flush())
    presence.reset_local()
    ratelimit.reset_local()
    yield


def room_ids(hello: dict) -> set[int]:
    return {room["id"] for room in hello["rooms"]}


__all__ = ["Socket", "mint_session", "room_ids"]
