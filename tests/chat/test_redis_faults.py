"""Redis dies and freezes under a conversation; the chat carries on.

Redis is only the doorbell (DESIGN.md): while it is gone, sends are still
stored and acknowledged (the broadcast failure is logged), nobody loses a
message once they catch up, daphne stays up, and live delivery comes back by
itself soon after Redis does. The test runs its own redis-server, which it
kills and restarts on the same port, and then pauses (SIGSTOP) and resumes.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.conf import settings

from chat import services as chat_services
from chat.models import Message
from tests.conftest import make_member
from tests.servers import DaphneServer, free_port
from tests.soak_client import ChatClient, Pending
from tests.sockets import mint_session

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LIVE_BACK_WITHIN = 10.0  # seconds after Redis returns
OUTAGE = 3.0  # seconds Redis stays dead
PAUSE = 4.0  # seconds Redis stays frozen
ACK_WITHIN = 5.0  # a send while Redis is away is acknowledged within this


class RedisServer:
    """A redis-server of the test's own, on a fixed port it can be restarted on."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail("redis-server is not installed")
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [
                    executable,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    client.ping()
                    return self
                except redis.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise RuntimeError(self.log_path.read_text()) from None
                    time.sleep(0.05)
        finally:
            client.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()


class Conversation:
    """Amy and Beth talk while Cara listens; records acks and live events."""

    def __init__(self, amy: ChatClient, beth: ChatClient, cara: ChatClient):
        self.amy, self.beth, self.cara = amy, beth, cara
        self.sent: list[tuple[ChatClient, Pending, float]] = []  # who, what, when (monotonic)
        self.n = 0

    def say(self, who: ChatClient) -> Pending:
        self.n += 1
        pending = who.send_new(who.rooms[0], f"{who.name} says hello, line {self.n}")
        self.sent.append((who, pending, time.monotonic()))
        return pending

    def other(self, who: ChatClient) -> ChatClient:
        return self.beth if who is self.amy else self.amy

    async def talk(self, seconds: float, every: float = 0.25) -> None:
        """Amy and Beth take turns for `seconds`, without waiting for acks."""
        until = time.monotonic() + seconds
        who = self.amy
        while time.monotonic() < until:
            self.say(who)
            who = self.other(who)
            await asyncio.sleep(every)

    def ack_latencies(self, since: float, until: float) -> list[float]:
        """Seconds from saying to the ack, for what Amy and Beth (connected) said
        in [since, until)."""
        return [
            who.ack_at[p.client_id] - at
            for who, p, at in self.sent
            if since <= at < until and p.client_id in who.ack_at and who is not self.cara
        ]

    def unacked(self, since: float, until: float) -> int:
        return sum(
            1 for who, p, at in self.sent if since <= at < until and p.client_id not in who.acks
        )

    async def live_back_after(self, back: float, limit: float) -> dict[str, float]:
        """Talk until each of the three heard, live, a line someone else said after `back`.

        Returns, for each, the seconds from `back` to that first live event
        (infinity if it did not come within `limit`).
        """
        listeners = (self.amy, self.beth, self.cara)
        heard: dict[str, float] = {}
        who = self.amy
        until = time.monotonic() + limit
        while len(heard) < len(listeners) and time.monotonic() < until:
            self.say(who)
            who = self.other(who)
            await asyncio.sleep(0.2)
            for listener in listeners:
                if listener.name in heard:
                    continue
                theirs = {p.client_id for w, p, at in self.sent if w is not listener and at >= back}
                first = [ev.at for ev in listener.live if ev.client_id in theirs]
                if first:
                    heard[listener.name] = min(first) - back
        return {c.name: heard.get(c.name, float("inf")) for c in listeners}


def server_errors(logs: str) -> list[str]:
    """The distinct error lines of the server's log (for an assertion's message)."""
    lines = [line for line in logs.splitlines() if line[:1].isalpha() and "Error" in line]
    return sorted(set(lines))[:10]


async def wait_until(predicate, timeout: float) -> bool:
    until = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > until:
            return False
        await asyncio.sleep(0.05)
    return True


async def scenario(server: DaphneServer, redis_server: RedisServer, keys: list[str], room: int):
    def client(name: str, key: str, seed: int) -> ChatClient:
        return ChatClient(
            url=server.url.replace("http", "ws") + "/ws/chat/",
            origin=server.url,
            cookie=f"{settings.SESSION_COOKIE_NAME}={key}",
            name=name,
            rooms=[room],
            retry_delay=(0.3, 0.6),
            reconnect_delay=(0.2, 0.5),
            seed=seed,
        )

    names = ("Amy", "Beth", "Cara")
    clients = [client(n, k, i) for i, (n, k) in enumerate(zip(names, keys, strict=True))]
    amy, beth, cara = clients
    stop = asyncio.Event()
    keepers = [asyncio.create_task(c.keep_connected(stop)) for c in clients]
    talk = Conversation(amy, beth, cara)
    figures: dict = {}

    def joined() -> bool:
        return all(c.is_open and c.all_joined.is_set() for c in clients)

    try:
        assert await wait_until(joined, 20)
        figures["live_before"] = await talk.live_back_after(time.monotonic(), 10)
        assert max(figures["live_before"].values()) < 3, "no live delivery even before the faults"

        for fault in ("kill", "pause"):
            await asyncio.sleep(0.5)
            steady = (amy.socket_no, beth.socket_no)
            began = time.monotonic()
            if fault == "kill":
                redis_server.kill()
            else:
                redis_server.pause()
            # Cara's connection drops too: she reconnects while Redis is away,
            # and what she says meanwhile waits for her to be back.
            cara.cut()
            talk.say(cara)
            await talk.talk(OUTAGE if fault == "kill" else PAUSE)
            if fault == "kill":
                redis_server.start()
            else:
                redis_server.resume()
            back = time.monotonic()
            figures[f"{fault}_live"] = await talk.live_back_after(back, 20)
            figures[f"{fault}_acks"] = talk.ack_latencies(began, back)
            figures[f"{fault}_unacked"] = talk.unacked(began, back)
            figures[f"{fault}_kept_sockets"] = (amy.socket_no, beth.socket_no) == steady
            assert await wait_until(lambda: cara.all_joined.is_set(), 20), "Cara never got back"
            figures[f"{fault}_cara_back"] = cara.spans[cara.socket_no][0] - back

        # Everything said is acknowledged in the end (resent as needed) ...
        assert await wait_until(lambda: not any(c.pending for c in clients), 30), [
            len(c.pending) for c in clients
        ]
        # ... and each catches up as after any reconnect: join with after_seq.
        last = max(m["seq"] for c in clients for m in c.acks.values())
        for c in clients:
            c.cut()
        assert await wait_until(
            lambda: joined() and all(c.last_seq[room] == last for c in clients), 20
        )
        # A new socket (a tab that saw all but the last ten) still opens and catches up.
        fresh = client("Fresh", keys[0], 9)
        fresh.view[room] = {seq: m for seq, m in amy.view[room].items() if seq <= last - 10}
        fresh.last_seq[room] = last - 10
        try:
            await fresh.connect(attempts=2, join_timeout=10)
            figures["fresh_sees"] = fresh.last_seq[room]
        except RuntimeError as error:
            figures["fresh_sees"] = repr(error)
        await fresh.close()
    finally:
        stop.set()
        await asyncio.gather(*keepers, return_exceptions=True)
        for c in clients:
            await c.close()
    figures["clients"] = clients
    return figures


def test_chat_survives_redis_dying_and_freezing(tmp_path, coordinator):
    people = [
        make_member(f"{name.lower()}.faults@example.net", name) for name in ("Amy", "Beth", "Cara")
    ]
    room = chat_services.create_room(actor=coordinator, name="Faults", always_open=True).pk
    for person in people:
        chat_services.enrol_member(actor=coordinator, room_id=room, member=person)
    keys = [mint_session(person) for person in people]
    redis_server = RedisServer(tmp_path / "redis.log").start()
    server = DaphneServer(
        mail_dir=tmp_path,
        log_path=tmp_path / "daphne.log",
        extra_env={"REDIS_URL": redis_server.url, "VILLAGE_SEND_RATE_COUNT": "1000"},
    )
    try:
        server.start()
        figures = asyncio.run(scenario(server, redis_server, keys, room))
        alive = server.process.poll() is None
    finally:
        server.stop()
        redis_server.stop()
    logs = server.logs()
    assert alive, "daphne died"

    clients: list[ChatClient] = figures["clients"]
    problems = [p for c in clients for p in c.problems]
    assert not problems, problems[:10]

    # Stored = acknowledged, message for message.
    stored = {
        (m["author_id"], str(m["client_id"])): m
        for m in Message.objects.filter(room_id=room).values("id", "seq", "author_id", "client_id")
    }
    acked = {
        (c.user["id"], client_id): message for c in clients for client_id, message in c.acks.items()
    }
    assert set(acked) == set(stored), "a stored message without its ack, or an ack without a row"
    assert all(acked[k]["id"] == stored[k]["id"] for k in stored)
    truth = sorted((m["seq"], m["id"]) for m in stored.values())
    assert [seq for seq, _ in truth] == list(range(1, len(truth) + 1))
    for client in clients:
        assert client.room_view(room) == truth, f"{client.name} misses messages"
    assert figures["fresh_sees"] == len(truth), (figures["fresh_sees"], server_errors(logs))

    back = max(max(figures[f"{fault}_live"].values()) for fault in ("kill", "pause"))
    print(
        f"\nredis faults: kill+restart and pause; stored {len(stored)}, acked {len(acked)}, "
        f"live delivery back after {back:.1f} s"
    )
    errors = sum((Counter(c.errors) for c in clients), Counter())

    def seconds(figure: dict[str, float]) -> str:
        return ", ".join(f"{name} {value:.1f} s" for name, value in figure.items())

    print(
        "redis faults details: live delivery back after the restart: "
        f"{seconds(figures['kill_live'])}; after the pause: {seconds(figures['pause_live'])} "
        "(before the faults: "
        f"{seconds(figures['live_before'])}); acks while Redis was dead max "
        f"{max(figures['kill_acks']):.2f} s, frozen max {max(figures['pause_acks']):.2f} s; "
        f"Amy's and Beth's sockets kept through the kill: {figures['kill_kept_sockets']}, "
        f"the pause: {figures['pause_kept_sockets']}; Cara (cut at each fault) back "
        f"{figures['kill_cara_back']:.1f} s after the restart, "
        f"{figures['pause_cara_back']:.1f} s after the pause; errors {dict(errors)}; "
        f"{logs.count('broadcast of')} broadcast failures logged, "
        f"{logs.count('Exception inside application')} exceptions inside the application"
    )
    # Sends while Redis was away were stored and acknowledged without a freeze.
    for fault in ("kill", "pause"):
        latencies = figures[f"{fault}_acks"]
        assert latencies, f"nothing was acknowledged during the {fault}"
        assert figures[f"{fault}_unacked"] == 0, f"sends during the {fault} not acknowledged"
        assert max(latencies) < ACK_WITHIN, (fault, latencies)
        assert figures[f"{fault}_kept_sockets"], f"the {fault} closed sockets"
    assert "broadcast of chat.message" in logs, "the failed broadcasts were not logged"
    assert back <= LIVE_BACK_WITHIN
