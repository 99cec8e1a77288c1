"""The load generator: many sockets, open-loop senders, one clock.

Every socket is a `websockets` client speaking Village's protocol (the
baselines in bench/baselines speak the same subset). Senders are open-loop:
each room's sender fires on a fixed schedule whether or not earlier sends
were answered, so a slow server shows up as latency, not as a politely
lower offered load. Latency runs from the moment a `send` frame leaves the
generator to the moment its `message` event arrives at each member's socket
(the author's own socket included), on `time.perf_counter()` in this one
process. Each delivery is checked off per (message, socket): a second
arrival is a duplicate, a missing one after the drain is a loss.

The generator's own CPU is reported beside the figures: a saturated
generator (near 100 % of a core) is a limit of the measurement, not of the
server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import resource
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

try:  # the generator's CPU is the scarce resource on two cores
    import orjson

    loads = orjson.loads
except ImportError:  # pragma: no cover - orjson is in the bench extra
    loads = json.loads

CONNECT_CONCURRENCY = 64  # handshakes in flight at once while opening sockets


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"))


def percentiles(samples: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in milliseconds (nearest-rank)."""
    if not samples:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(samples)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))] * 1000

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": ordered[-1] * 1000}


class CpuClock:
    """CPU seconds used by this process between start() and read()."""

    def start(self) -> None:
        self._wall, self._cpu = time.perf_counter(), self._used()
        self._read: tuple[float, float] | None = None

    @staticmethod
    def _used() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def read(self) -> float:
        """Percent of one core since start()."""
        wall = time.perf_counter() - self._wall
        return 100 * (self._used() - self._cpu) / wall if wall else 0.0


@dataclass
class Ledger:
    """Every send and every delivery of one measurement."""

    sent_at: dict[str, float] = field(default_factory=dict)  # client_id -> perf_counter
    expected: dict[str, int] = field(default_factory=dict)  # client_id -> sockets in its room
    delivered: dict[str, set[int]] = field(default_factory=dict)  # client_id -> socket ids
    acked: set[str] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)
    ack_latencies: list[float] = field(default_factory=list)
    duplicates: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    recording: bool = True

    def sent(self, client_id: str, audience: int) -> None:
        self.sent_at[client_id] = time.perf_counter()
        self.expected[client_id] = audience
        self.delivered[client_id] = set()

    def arrived(self, client_id: str, socket_id: int, at: float) -> None:
        seen = self.delivered.get(client_id)
        if seen is None:
            return  # not ours (sent before this ledger opened)
        if socket_id in seen:
            self.duplicates += 1
            return
        seen.add(socket_id)
        self.latencies.append(at - self.sent_at[client_id])

    def ack(self, client_id: str, at: float) -> None:
        if client_id in self.sent_at and client_id not in self.acked:
            self.acked.add(client_id)
            self.ack_latencies.append(at - self.sent_at[client_id])

    def error(self, code: str) -> None:
        self.errors[code] = self.errors.get(code, 0) + 1

    @property
    def lost(self) -> int:
        return sum(self.expected[c] - len(self.delivered[c]) for c in self.expected)


class Socket:
    """One browser tab's socket; it feeds every frame it receives to the ledger."""

    def __init__(self, socket_id: int, url: str, origin: str, cookie: str | None):
        self.id = socket_id
        self.url, self.origin, self.cookie = url, origin, cookie
        self.connection: ClientConnection | None = None
        self.hello: dict[str, Any] | None = None
        self.ledger: Ledger | None = None
        self.last_seq: dict[int, int] = {}  # room -> highest seq seen (contiguous or not)
        self.seqs: dict[int, set[int]] = {}  # room -> every seq seen (reconnect storm)
        self.waiters: dict[tuple[str, Any], asyncio.Future] = {}
        self.reader: asyncio.Task | None = None

    async def connect(self) -> None:
        headers = {"Origin": self.origin}
        if self.cookie:
            headers["Cookie"] = self.cookie
        self.connection = await websockets.connect(
            self.url,
            additional_headers=headers,
            compression=None,
            ping_interval=None,
            max_size=2**22,
            open_timeout=60,
        )
        hello = self.expect("hello")
        self.reader = asyncio.create_task(self.read())
        self.hello = await asyncio.wait_for(hello, 60)

    def expect(self, kind: str, key: Any = None) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.waiters[(kind, key)] = future
        return future

    async def send(self, frame: dict[str, Any]) -> None:
        await self.connection.send(dumps(frame))

    async def join(self, room: int, after_seq: int | None = None) -> dict[str, Any]:
        joined = self.expect("joined", room)
        await self.send({"type": "join", "room": room, "after_seq": after_seq})
        answer = await asyncio.wait_for(joined, 60)
        self.record_messages(answer.get("messages", []))
        return answer

    async def history(self, room: int, after_seq: int) -> dict[str, Any]:
        page = self.expect("history", room)
        await self.send({"type": "history", "room": room, "after_seq": after_seq})
        answer = await asyncio.wait_for(page, 60)
        self.record_messages(answer.get("messages", []))
        return answer

    def record_messages(self, messages: Iterable[dict[str, Any]]) -> None:
        for message in messages:
            seq = message.get("seq")
            if seq is not None:
                self.seqs.setdefault(message["room"], set()).add(seq)
                if seq > self.last_seq.get(message["room"], 0):
                    self.last_seq[message["room"]] = seq

    async def read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.connection:
                at = time.perf_counter()
                frame = loads(raw)
                kind = frame.get("type")
                if kind == "message":
                    message = frame["message"]
                    if self.ledger is not None:
                        self.ledger.arrived(message["client_id"], self.id, at)
                    self.record_messages([message])
                elif kind == "ack":
                    if self.ledger is not None:
                        self.ledger.ack(frame["client_id"], at)
                elif kind == "error" and self.ledger is not None:
                    self.ledger.error(frame.get("code", "?"))
                key = frame.get("room") if kind in {"joined", "history"} else None
                waiter = self.waiters.pop((kind, key), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(frame)

    def cut(self) -> None:
        """Drop the connection the way a lost signal does: no closing handshake."""
        if self.connection is not None:
            self.connection.transport.abort()

    async def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.connection.close(), 5)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


async def backoff(attempt: int) -> None:
    """chat.js's wait before reconnecting: base/2 + random * base/2, base 1 s doubling to 30 s."""
    base = min(30.0, 2.0**attempt)
    await asyncio.sleep(base / 2 + random.random() * base / 2)


# Handshakes the server refused or dropped before the socket opened (the
# generator retries them with chat.js's backoff); reported beside the figures.
refused_handshakes = 0


async def open_sockets(
    url: str, origin: str, cookies: list[str | None], *, first_id: int = 0
) -> list[Socket]:
    """Open one socket per cookie, CONNECT_CONCURRENCY handshakes at a time."""
    sockets = [Socket(first_id + n, url, origin, cookie) for n, cookie in enumerate(cookies)]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(socket: Socket) -> None:
        global refused_handshakes
        for attempt in range(8):
            async with gate:
                try:
                    await socket.connect()
                    return
                except (OSError, TimeoutError, websockets.InvalidHandshake):
                    refused_handshakes += 1
            await backoff(attempt)
        raise RuntimeError(f"socket {socket.id} refused 8 times")

    await asyncio.gather(*(one(socket) for socket in sockets))
    return sockets


async def join_all(pairs: list[tuple[Socket, int]]) -> None:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(socket: Socket, room: int) -> None:
        async with gate:
            await socket.join(room)

    await asyncio.gather(*(one(socket, room) for socket, room in pairs))


@dataclass
class Room:
    """A room under load: its sockets, and who sends next."""

    id: int
    sockets: list[Socket]

    def __post_init__(self) -> None:
        self._next = random.randrange(len(self.sockets))

    def next_sender(self) -> Socket:
        """Members take turns, as in a real group (and within the per-person rate limit)."""
        self._next = (self._next + 1) % len(self.sockets)
        return self.sockets[self._next]


async def drive(
    rooms: list[Room], *, interval: float, seconds: float, ledger: Ledger, body: str
) -> int:
    """Each room sends one message every `interval` seconds for `seconds`; returns sends."""
    loop = asyncio.get_running_loop()
    sends = 0

    async def one_room(room: Room, offset: float) -> None:
        nonlocal sends
        start = loop.time() + offset
        count = int(seconds / interval)
        for n in range(count):
            delay = start + n * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            sender = room.next_sender()
            client_id = str(uuid.uuid4())
            ledger.sent(client_id, len(room.sockets))
            sends += 1
            try:
                await sender.send(
                    {"type": "send", "room": room.id, "client_id": client_id, "body": body}
                )
            except websockets.ConnectionClosed:
                ledger.error("closed")

    # Rooms start spread over one interval, as independent groups would.
    await asyncio.gather(
        *(one_room(room, interval * n / len(rooms)) for n, room in enumerate(rooms))
    )
    return sends


async def settle(ledger: Ledger, *, timeout: float) -> None:
    """Wait until every delivery arrived, or `timeout` passed (the rest are lost)."""
    deadline = time.perf_counter() + timeout
    while ledger.lost and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
