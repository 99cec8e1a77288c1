"""Admission control for WebSocket handshakes: a reconnect storm must not sink a process.

Opening a socket costs a session lookup, the policy, Redis subscriptions and
the room list. When a few thousand clients come back at once (a server
restart, a network blip), unbounded handshakes all slowed each other past
daphne's timeouts (5 s to accept, 10 s to close); the killed ones retried, and
a storm of 2,000 clients kept one process saturated for minutes without
bringing anyone back (docs/performance.md). So each process works on at most
AT_ONCE handshakes and the others wait their turn, in order. Waiting costs
an open TCP connection; a refusal costs far more, because the client then
backs off for seconds (doubling each time) while the server may be idle. So
the line is long (IN_LINE), and only beyond it is a handshake refused at
once, before any work. daphne's own limit on the wait
(`--websocket_connect_timeout`, 30 s in our commands) still applies.

This sits outside the session and authentication middleware, so a refusal
costs nothing but the refusal.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from django.conf import settings

log = logging.getLogger("village.chat")

_HANDSHAKE_DONE = {"websocket.accept", "websocket.close"}


class _Line:
    """The handshakes of one event loop: those being worked on and those waiting."""

    def __init__(self, at_once: int) -> None:
        self.slots = asyncio.Semaphore(at_once)
        self.waiting = 0


class HandshakeGate:
    """ASGI middleware: bounds the handshakes a process works on at once."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Line] = (
            weakref.WeakKeyDictionary()
        )

    def _line(self) -> _Line:
        loop = asyncio.get_running_loop()
        line = self._lines.get(loop)
        if line is None:
            line = self._lines[loop] = _Line(settings.VILLAGE_HANDSHAKES_AT_ONCE)
        return line

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        line = self._line()
        connect = await receive()  # websocket.connect
        if line.slots.locked() and line.waiting >= settings.VILLAGE_HANDSHAKES_IN_LINE:
            log.warning("refused a socket: %s handshakes already waiting", line.waiting)
            await send({"type": "websocket.close"})  # refused: the client backs off
            return None
        if not await self._wait_turn(line, receive):
            return None  # the client left (or daphne gave up) while waiting: no work done
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                line.slots.release()

        async def send_and_release(message: dict) -> None:
            try:
                await send(message)
            finally:
                if message["type"] in _HANDSHAKE_DONE:
                    release()  # accepted or refused: the next handshake may start

        replayed = False

        async def receive_after_connect() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return connect
            return await receive()

        try:
            return await self.app(scope, receive_after_connect, send_and_release)
        finally:
            release()

    @staticmethod
    async def _wait_turn(line: _Line, receive: Any) -> bool:
        """Wait for a slot; False if the connection went away first (nothing held then)."""
        line.waiting += 1
        turn = asyncio.ensure_future(line.slots.acquire())
        gone = asyncio.ensure_future(receive())  # only websocket.disconnect can come now
        try:
            await asyncio.wait({turn, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            line.waiting -= 1
            gone.cancel()  # cancelling a pending receive loses nothing
            if not turn.done():
                turn.cancel()
        if gone.done() and not gone.cancelled():
            if turn.done() and not turn.cancelled():
                line.slots.release()
            return False
        return True
