"""A small asyncio chat client that behaves like static/js/chat.js.

It keeps each room's messages by `seq`, joins with `after_seq` set to the
highest contiguous `seq` it has, fills gaps with `history`, keeps every send
until it is acknowledged and resends it with the same `client_id` after a
reconnect, after `unavailable`/`server_error` and after `rate_limited` (once
`retry_after` has passed). It also notes everything that breaks the delivery
contract (a `seq` given to two messages, a `client_id` acknowledged as two
messages, an unexpected error) in `problems`, for the tests to assert on.

Tests drive it: `connect()`, `send_new()`, `cut()` (drop the socket the way a
train tunnel does), and read its view afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake

log = logging.getLogger("village.soak")

GIVE_UP_AFTER = 20  # join/history failures in a row before the client reports a problem


@dataclass
class Pending:
    """A send not acknowledged yet."""

    client_id: str
    room: int
    body: str
    transmits: list[float] = field(default_factory=list)  # time.time() of each attempt
    on_socket: int = -1  # the socket it was last transmitted on
    timer: asyncio.TimerHandle | None = None


@dataclass
class Live:
    """A `message` event that reached the client over an open socket."""

    at: float  # time.monotonic()
    room: int
    seq: int
    id: int
    client_id: str
    socket: int


class ChatClient:
    """One browser tab: one socket at a time, several rooms."""

    def __init__(
        self,
        *,
        url: str,
        origin: str,
        cookie: str,
        name: str,
        rooms: list[int],
        retry_delay: tuple[float, float] = (0.05, 0.3),
        reconnect_delay: tuple[float, float] = (0.02, 0.1),
        seed: int | None = None,
    ):
        self.url = url
        self.headers = {"Cookie": cookie, "Origin": origin}
        self.name = name
        self.rooms = list(rooms)
        self.retry_delay = retry_delay
        self.reconnect_delay = reconnect_delay
        self.rng = random.Random(seed)
        # The view: room -> seq -> message, and where each message id sits.
        self.view: dict[int, dict[int, dict[str, Any]]] = {r: {} for r in self.rooms}
        self.place: dict[int, tuple[int, int]] = {}
        self.last_seq: dict[int, int] = dict.fromkeys(self.rooms, 0)  # contiguous from 1
        self.pending: dict[str, Pending] = {}
        self.acks: dict[str, dict[str, Any]] = {}  # client_id -> message of its first ack
        self.ack_transmits: dict[str, list[float]] = {}  # client_id -> its attempts
        self.ack_at: dict[str, float] = {}  # client_id -> when its ack came (monotonic)
        self.problems: list[str] = []
        self.trouble = asyncio.Event()  # set with the first problem: stop waiting
        self.failed_requests = 0  # join/history answered `unavailable`/`server_error` in a row
        self.live: list[Live] = []
        self.user: dict[str, Any] | None = None
        # The current socket and what is outstanding on it.
        self.ws: Any = None
        self.socket_no = 0
        self.reader: asyncio.Task | None = None
        self.joined: set[int] = set()
        self.all_joined = asyncio.Event()
        self.hello_seen = asyncio.Event()
        self.closed = asyncio.Event()
        self.closed.set()
        self.requests: deque[tuple[str, int]] = deque()  # (join|history, room), in order
        self.filling: set[int] = set()  # rooms with a forward history request out
        self.progress = asyncio.Event()  # set on every ack
        self.writes: set[asyncio.Future] = set()
        # Figures.
        self.connects = 0
        self.connect_failures = 0
        self.drops = 0  # sockets the server (or the network) closed, not cut by us
        self.cuts = 0
        self.cuts_with_unacked = 0
        self.live_messages = 0
        self.duplicate_deliveries = 0
        self.gap_fills = 0
        self.resends = 0
        self.errors: dict[str, int] = {}
        # Per connection: seconds to open the socket, to its hello, to every joined.
        self.connect_times: list[tuple[float, float, float]] = []
        self.hello_at = 0.0
        # Per socket: when every room was joined, and when it closed (monotonic).
        self.spans: dict[int, list[float | None]] = {}

    def _problem(self, text: str) -> None:
        self.problems.append(text)
        self.trouble.set()

    # --- connection -----------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.ws is not None and not self.closed.is_set()

    async def connect(self, *, attempts: int = 200, join_timeout: float = 20) -> None:
        """Open a socket (retrying with a short backoff) and join every room on it."""
        failure: BaseException | None = None
        for _ in range(attempts):
            if self.trouble.is_set():
                break
            failure = await self._open_and_join(join_timeout)
            if failure is None:
                return
            await asyncio.sleep(self.rng.uniform(*self.reconnect_delay))
        raise RuntimeError(f"{self.name}: could not connect: {failure!r} {self.problems[:3]}")

    async def keep_connected(self, stop: asyncio.Event) -> None:
        """Reconnect whenever the socket closes, like chat.js, until `stop` is set."""
        while not stop.is_set():
            if not self.is_open or not self.all_joined.is_set():
                if self.ws is not None:
                    await self._drop_socket()
                failure = await self._open_and_join(join_timeout=20)
                if failure is not None:
                    await asyncio.sleep(self.rng.uniform(*self.reconnect_delay))
                    continue
            await first_of(self.closed, stop)

    async def ensure_connected(self) -> None:
        if not self.is_open or not self.all_joined.is_set():
            if self.ws is not None:
                await self._drop_socket()
            await self.connect()

    async def _dial(self) -> BaseException | None:
        """Open a socket and start reading it; the hello sends the joins."""
        try:
            ws = await websockets.connect(
                self.url,
                additional_headers=self.headers,
                open_timeout=10,
                ping_interval=None,
                close_timeout=1,
                max_size=2**22,
            )
        except (OSError, InvalidHandshake, TimeoutError) as error:
            self.connect_failures += 1
            return error
        self.socket_no += 1
        self.ws = ws
        self.joined = set()
        self.all_joined = asyncio.Event()
        self.hello_seen = asyncio.Event()
        self.closed = asyncio.Event()
        self.requests.clear()
        self.filling.clear()
        self.connects += 1
        self.reader = asyncio.create_task(self._read(ws, self.socket_no, self.closed))
        return None

    async def _open_and_join(self, join_timeout: float) -> BaseException | None:
        """One attempt: hello, join every room, wait for every `joined`."""
        started = time.monotonic()
        failure = await self._dial()
        if failure is not None:
            return failure
        dialled = time.monotonic()
        try:
            await asyncio.wait_for(
                first_of(self.all_joined, self.closed, self.trouble), join_timeout
            )
            self.connect_times.append(
                (dialled - started, self.hello_at - dialled, time.monotonic() - self.hello_at)
            )
        except TimeoutError:
            self.connect_failures += 1
            await self._drop_socket()
            return TimeoutError("no hello or joined in time")
        if not self.is_open or not self.all_joined.is_set():
            self.connect_failures += 1
            return ConnectionError("closed (or in trouble) before every room was joined")
        return None

    async def cut_during_catch_up(self, delay: float) -> bool:
        """Open a socket and drop it `delay` seconds after its hello (mid-join)."""
        if self.is_open:
            self.cut()
        if await self._dial() is not None:
            return False
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(first_of(self.hello_seen, self.closed), 10)
        await asyncio.sleep(delay)
        return self.is_open and (self.cut() or True)

    async def _drop_socket(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            ws.transport.abort()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)
            self.reader = None
        self.closed.set()

    def cut(self) -> bool:
        """Drop the socket at once, without a closing handshake (a lost signal).

        Returns True if a send was out without its ack at that moment.
        """
        if not self.is_open:
            return False
        unacked = any(p.on_socket == self.socket_no for p in self.pending.values())
        self.cuts += 1
        self.cuts_with_unacked += unacked
        ws, self.ws = self.ws, None
        ws.transport.abort()
        self.closed.set()
        if self.socket_no in self.spans and self.spans[self.socket_no][1] is None:
            self.spans[self.socket_no][1] = time.monotonic()
        return unacked

    async def close(self) -> None:
        ws, self.ws = self.ws, None
        if ws is not None:
            await ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)
            self.reader = None
        self.closed.set()
        for p in self.pending.values():
            if p.timer is not None:
                p.timer.cancel()

    async def _read(self, ws: Any, number: int, closed: asyncio.Event) -> None:
        try:
            async for raw in ws:
                if self.socket_no != number:
                    return
                self._on_frame(json.loads(raw), number)
        except ConnectionClosed:
            pass
        except Exception as error:  # noqa: BLE001 - a client bug is a problem to report
            self._problem(f"{self.name}: reader failed: {error!r}")
        finally:
            if number in self.spans and self.spans[number][1] is None:
                self.spans[number][1] = time.monotonic()
            if self.socket_no == number and self.ws is ws:
                # Closed by the server or the network, not by cut().
                self.drops += 1
                self.ws = None
            closed.set()

    def _transmit(self, frame: dict[str, Any]) -> bool:
        ws = self.ws
        if ws is None or self.closed.is_set():
            return False
        # websockets sends synchronously into the transport when it can; the
        # coroutine completes without yielding unless the buffer is full.
        task = asyncio.ensure_future(ws.send(json.dumps(frame)))
        self.writes.add(task)
        task.add_done_callback(self._written)
        return True

    def _written(self, task: asyncio.Future) -> None:
        self.writes.discard(task)
        _ignore_closed(task)

    async def flush(self) -> None:
        """Wait until every frame handed to the socket has been written to it."""
        while self.writes:
            await asyncio.gather(*self.writes, return_exceptions=True)

    # --- sending --------------------------------------------------------------

    def send_new(self, room: int, body: str) -> Pending:
        """Keep a new message (with a fresh client_id) and send it if the room is open."""
        p = Pending(client_id=str(uuid.uuid4()), room=room, body=body)
        self.pending[p.client_id] = p
        if room in self.joined:
            self._send_pending(p)
        return p

    def _send_pending(self, p: Pending) -> None:
        if p.timer is not None:
            p.timer.cancel()
            p.timer = None
        frame = {"type": "send", "room": p.room, "client_id": p.client_id, "body": p.body}
        if self._transmit(frame):
            if p.transmits:
                self.resends += 1
            p.transmits.append(time.time())
            p.on_socket = self.socket_no

    def _retry_later(self, p: Pending, seconds: float) -> None:
        if p.timer is not None:
            p.timer.cancel()

        def again() -> None:
            p.timer = None
            if p.client_id in self.pending and p.room in self.joined and self.is_open:
                self._send_pending(p)

        p.timer = asyncio.get_running_loop().call_later(seconds, again)

    def unacked_on_socket(self) -> int:
        return sum(1 for p in self.pending.values() if p.on_socket == self.socket_no)

    # --- frames from the server -------------------------------------------------

    def _on_frame(self, frame: dict[str, Any], number: int) -> None:
        kind = frame.get("type")
        if kind == "hello":
            self.user = frame["user"]
            self.hello_at = time.monotonic()
            self.hello_seen.set()
            known = {r["id"] for r in frame["rooms"]}
            for room in self.rooms:
                if room not in known:
                    self._problem(f"{self.name}: room {room} missing from hello")
                self._request("join", room, {"after_seq": self.last_seq[room]})
        elif kind == "joined":
            self._answered("join", frame["room"])
            self.failed_requests = 0
            room = frame["room"]
            for m in frame["messages"]:
                self._add(m, live=False)
            for m in frame["held"]:
                self._problem(f"{self.name}: unexpected held message {m['id']}")
            self.joined.add(room)
            if frame["more"] or self._has_gap(room):
                self._fill(room)
            # Resend what was not acknowledged, unchanged (chat.js resendPending).
            for p in list(self.pending.values()):
                if p.room == room and p.on_socket != number:
                    self._send_pending(p)
            if self.joined >= set(self.rooms) and not self.all_joined.is_set():
                self.all_joined.set()
                self.spans[number] = [time.monotonic(), None]
        elif kind == "history":
            self._answered("history", frame["room"])
            self.failed_requests = 0
            room = frame["room"]
            self.filling.discard(room)
            for m in frame["messages"]:
                self._add(m, live=False)
            if frame["more"] or self._has_gap(room):
                self._fill(room)
        elif kind == "message":
            self._add(frame["message"], live=True, socket=number)
        elif kind == "ack":
            self._on_ack(frame)
        elif kind == "error":
            self._on_error(frame)
        elif kind == "message_update":
            self._add(frame["message"], live=False)
        elif kind in {"presence", "typing", "session", "room_update"}:
            pass
        elif kind == "revoked":
            self._problem(f"{self.name}: revoked: {frame.get('reason')}")
        else:
            self._problem(f"{self.name}: unexpected frame {kind}")

    def _request(self, kind: str, room: int, fields: dict[str, Any]) -> None:
        if self._transmit({"type": kind, "room": room, **fields}):
            self.requests.append((kind, room))

    def _answered(self, kind: str, room: int) -> None:
        if self.requests and self.requests[0] == (kind, room):
            self.requests.popleft()
        else:
            self._problem(f"{self.name}: answer {kind} {room} out of turn: {self.requests}")

    def _fill(self, room: int) -> None:
        """Ask for what follows the highest contiguous seq (one request at a time)."""
        if room in self.filling:
            return
        self.filling.add(room)
        self.gap_fills += 1
        self._request("history", room, {"after_seq": self.last_seq[room], "limit": 100})

    def _has_gap(self, room: int) -> bool:
        seqs = self.view[room]
        return bool(seqs) and max(seqs) > self.last_seq[room]

    def _add(self, m: dict[str, Any], *, live: bool, socket: int = 0) -> None:
        room, seq, mid = m["room"], m["seq"], m["id"]
        if room not in self.view:
            self._problem(f"{self.name}: message {mid} for room {room} not joined")
            return
        if seq is None or m["status"] != "published":
            self._problem(f"{self.name}: message {mid} is {m['status']}, seq {seq}")
            return
        if live:
            self.live_messages += 1
            self.live.append(Live(time.monotonic(), room, seq, mid, m["client_id"], socket))
        known = self.view[room].get(seq)
        if known is not None:
            if known["id"] != mid:
                self._problem(
                    f"{self.name}: room {room} seq {seq} is message {known['id']} and {mid}"
                )
            else:
                self.duplicate_deliveries += 1
            return
        if mid in self.place and self.place[mid] != (room, seq):
            self._problem(f"{self.name}: message {mid} at {self.place[mid]} and {seq}")
            return
        self.view[room][seq] = m
        self.place[mid] = (room, seq)
        while self.last_seq[room] + 1 in self.view[room]:
            self.last_seq[room] += 1
        if live and seq > self.last_seq[room] and room in self.joined:
            self._fill(room)

    def _on_ack(self, frame: dict[str, Any]) -> None:
        client_id = frame["client_id"]
        message = frame["message"]
        earlier = self.acks.get(client_id)
        p = self.pending.pop(client_id, None)
        if earlier is not None:
            if earlier["id"] != message["id"] or earlier["seq"] != message["seq"]:
                self._problem(
                    f"{self.name}: client_id {client_id} acknowledged as {earlier['id']}"
                    f" and {message['id']}"
                )
        elif p is None:
            self._problem(f"{self.name}: ack for unknown client_id {client_id}")
        else:
            self.acks[client_id] = message
            self.ack_transmits[client_id] = list(p.transmits)
            self.ack_at[client_id] = time.monotonic()
            if p.timer is not None:
                p.timer.cancel()
            if message["client_id"] != client_id or message["body"] != p.body:
                self._problem(f"{self.name}: ack {client_id} carries another message")
        if frame["status"] != "published":
            self._problem(f"{self.name}: ack {client_id} status {frame['status']}")
        self._add(message, live=False)
        self.progress.set()

    def _on_error(self, frame: dict[str, Any]) -> None:
        code, ref = frame.get("code"), frame.get("ref")
        self.errors[code] = self.errors.get(code, 0) + 1
        p = self.pending.get(ref) if isinstance(ref, str) else None
        if p is not None:
            if code == "rate_limited":
                self._retry_later(p, (frame.get("retry_after") or 2) + 0.05)
                return
            if code in {"unavailable", "server_error"}:
                self._retry_later(p, self.rng.uniform(*self.retry_delay))
                return
            self._problem(f"{self.name}: send {ref} refused: {frame}")
            return
        if ref in {"join", "history"} and self.requests and self.requests[0][0] == ref:
            _, room = self.requests.popleft()
            if code in {"unavailable", "server_error"}:
                if ref == "history":
                    self.filling.discard(room)
                self.failed_requests += 1
                if self.failed_requests > GIVE_UP_AFTER:
                    self._problem(f"{self.name}: {ref} of room {room} keeps failing: {frame}")
                    return
                delay = self.rng.uniform(*self.retry_delay)
                asyncio.get_running_loop().call_later(delay, self._rerequest, ref, room)
                return
        self._problem(f"{self.name}: error {frame}")

    def _rerequest(self, kind: str, room: int) -> None:
        if not self.is_open:
            return
        if kind == "join":
            self._request("join", room, {"after_seq": self.last_seq[room]})
        else:
            self._fill(room)

    # --- reading the result -----------------------------------------------------

    def room_view(self, room: int) -> list[tuple[int, int]]:
        """(seq, id) of every message the client has in the room, in seq order."""
        return sorted((seq, m["id"]) for seq, m in self.view[room].items())


async def first_of(*events: asyncio.Event) -> None:
    """Return as soon as one of `events` is set."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


def _ignore_closed(task: asyncio.Future) -> None:
    if not task.cancelled():
        error = task.exception()
        if error is not None and not isinstance(error, ConnectionClosed):
            log.warning("send failed: %r", error)
