"""Reconnect soak: clients on a real daphne, their connections cut at random.

Eight members in three always-open rooms (each in two of them) send over two
thousand messages through a real daphne while their sockets are dropped at
random moments: right after a send (before its ack), a little later, and in
the middle of catching up after a reconnect. They behave like
static/js/chat.js (tests/soak_client.py): resend what was not acknowledged
with the same client_id, and catch up with `after_seq` and `history`. At the
end every client's view of every room it is in must be exactly the
database's: nothing lost, nothing twice, nothing out of order. A ninth
member, back after a long absence, then reads every room from the start
(`joined` with `more`, then `history` pages) and must see the same.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from chat import services as chat_services
from chat.models import Message, Room
from tests.conftest import make_member
from tests.servers import DaphneServer
from tests.soak_client import ChatClient, first_of
from tests.sockets import mint_session

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8
ROOMS = 3  # member n is in rooms n % 3 and (n + 1) % 3
MESSAGES_EACH = 250  # 2,000 in all
WINDOW = 1  # sends a client keeps out before it waits for an ack
# A pause between an ack and the next send, as a person types. Without it a
# socket always has a frame in hand, and the consumer (which handles one frame
# and one channel event at a time) lets room events pile up for seconds.
THINK = (0.01, 0.04)
SEND_CUTS = 17  # per client: the socket dropped right after a send (before its ack)
TIMED_CUTS = 12  # per client: dropped 0-50 ms after a send
CATCH_UP_CUTS = 5  # per client: after a send, and again while catching up; 312 cuts in all
STALL = 10.0  # seconds without an answer on an open socket: the server lost a frame
# A safety net against a hang, not the expected time: the exchange takes about
# 75 s on a 2-core machine, the daphne process being CPU-bound (about 64 s of
# CPU for the 2,000 sends, 320 connections and their joins).
DEADLINE = 200.0


def cut_plan(rng: random.Random) -> dict[int, str]:
    """Which sends (by number) are followed by which kind of cut."""
    kinds = ["send"] * SEND_CUTS + ["timed"] * TIMED_CUTS + ["catch_up"] * CATCH_UP_CUTS
    return dict(zip(rng.sample(range(1, MESSAGES_EACH + 1), len(kinds)), kinds, strict=True))


async def run_client(client: ChatClient, seed: int, stats: Counter) -> None:
    rng = random.Random(seed)
    plan = cut_plan(rng)
    await client.connect()
    sent = 0
    while sent < MESSAGES_EACH or client.pending:
        if client.trouble.is_set():
            raise AssertionError(client.problems[:5])
        await client.ensure_connected()
        if sent < MESSAGES_EACH and client.unacked_on_socket() < WINDOW:
            await asyncio.sleep(rng.uniform(*THINK))
            if not client.is_open:
                continue
            sent += 1
            client.send_new(rng.choice(client.rooms), f"soak from {client.name}, note {sent}")
            action = plan.get(sent)
            if action == "send":
                await client.flush()  # the frame is on the wire; its ack is not back
                if rng.random() < 0.5:
                    await asyncio.sleep(rng.uniform(0, 0.01))
                client.cut()
            elif action == "timed":
                await asyncio.sleep(rng.uniform(0, 0.05))
                client.cut()
            elif action == "catch_up":
                await client.flush()
                client.cut()
                await client.cut_during_catch_up(rng.uniform(0, 0.02))
            continue
        client.progress.clear()
        try:
            await asyncio.wait_for(first_of(client.progress, client.closed, client.trouble), STALL)
        except TimeoutError:
            # Like chat.js's probe: no answer, so start afresh (and count it).
            stats["stalls"] += 1
            client.cut()


def progress(clients: list[ChatClient]) -> str:
    return "; ".join(
        f"{c.name}: {len(c.acks)} acked, {len(c.pending)} pending, {c.cuts} cuts, "
        f"{c.connects} connects ({c.connect_failures} failed), errors {c.errors}, "
        f"problems {c.problems[:3]}"
        for c in clients
    )


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (Linux; NaN elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_errors(logs: str) -> list[str]:
    """The distinct error lines of the server's log (for an assertion's message)."""
    lines = [line for line in logs.splitlines() if line[:1].isalpha() and "Error" in line]
    return sorted(set(lines))[:10]


def connect_times(clients: list[ChatClient]) -> str:
    """Median and 90th percentile of: opening the socket, its hello, every joined."""
    times = [t for c in clients for t in c.connect_times]
    if not times:
        return "none"
    parts = []
    for i, what in enumerate(("open", "hello", "joined")):
        column = sorted(t[i] for t in times)
        p50, p90 = column[len(column) // 2], column[len(column) * 9 // 10]
        parts.append(f"{what} {p50 * 1000:.0f}/{p90 * 1000:.0f} ms")
    return ", ".join(parts)


async def soak(
    server: DaphneServer, members: list[tuple[str, list[int]]], late: tuple[str, list[int]]
) -> dict:
    clients = [
        ChatClient(
            url=server.url.replace("http", "ws") + "/ws/chat/",
            origin=server.url,
            cookie=f"{settings.SESSION_COOKIE_NAME}={key}",
            name=f"Mum{n}",
            rooms=rooms,
            seed=n,
        )
        for n, (key, rooms) in enumerate(members)
    ]
    stats: Counter = Counter()
    started = time.monotonic()
    try:
        try:
            await asyncio.wait_for(
                asyncio.gather(*(run_client(c, 1000 + n, stats) for n, c in enumerate(clients))),
                DEADLINE,
            )
        except TimeoutError:
            raise AssertionError(  # noqa: B904 - the figures are the point
                f"the exchange did not finish in {DEADLINE} s: {progress(clients)}"
            )
        exchange = time.monotonic() - started
        # Every send is acknowledged, so each room's last seq is known: let the
        # clients get there on their own (live events, gap fills).
        last: Counter = Counter()
        for client in clients:
            for message in client.acks.values():
                last[message["room"]] = max(last[message["room"]], message["seq"])

        def behind(client: ChatClient) -> int:
            return sum(client.last_seq[r] != last[r] for r in client.rooms)

        until = time.monotonic() + 10
        while any(map(behind, clients)) and time.monotonic() < until:
            await asyncio.sleep(0.05)
        behind_at_end = sum(map(behind, clients))
        # A view still behind (its tail lost) catches up as the client does it:
        # reconnect, join with after_seq.
        for client in clients:
            if behind(client):
                await client.close()
                await client.connect()
        until = time.monotonic() + 10
        while any(map(behind, clients)) and time.monotonic() < until:
            await asyncio.sleep(0.05)
        # A member back after a long absence reads every room from the start:
        # `joined` brings 100 messages with `more`, `history` pages bring the rest.
        late_key, late_rooms = late
        late_client = ChatClient(
            url=clients[0].url,
            origin=server.url,
            cookie=f"{settings.SESSION_COOKIE_NAME}={late_key}",
            name="Late",
            rooms=late_rooms,
        )
        clients.append(late_client)
        await late_client.connect(attempts=3)
        until = time.monotonic() + 30
        while behind(late_client) and time.monotonic() < until:
            await asyncio.sleep(0.05)
    finally:
        for client in clients:
            await client.close()
    return {
        "clients": clients,
        "stats": stats,
        "exchange": exchange,
        "behind_at_end": behind_at_end,
    }


def test_reconnect_soak_loses_nothing(tmp_path, coordinator):
    people = [make_member(f"soak{n}@example.net", f"Mum{n}") for n in range(CLIENTS)]
    rooms = [
        chat_services.create_room(actor=coordinator, name=f"Soak room {r}", always_open=True).pk
        for r in range(ROOMS)
    ]
    rooms_of = {}
    for n, person in enumerate(people):
        rooms_of[person.pk] = [rooms[n % ROOMS], rooms[(n + 1) % ROOMS]]
        for room in rooms_of[person.pk]:
            chat_services.enrol_member(actor=coordinator, room_id=room, member=person)
    members = [(mint_session(person), rooms_of[person.pk]) for person in people]
    latecomer = make_member("late@example.net", "Late")
    for room in rooms:
        chat_services.enrol_member(actor=coordinator, room_id=room, member=latecomer)
    late = (mint_session(latecomer), rooms)
    server = DaphneServer(
        mail_dir=tmp_path,
        log_path=tmp_path / "daphne.log",
        extra_env={"VILLAGE_SEND_RATE_COUNT": "1000000"},
    ).start()
    try:
        try:
            result = asyncio.run(soak(server, members, late))
        except (AssertionError, RuntimeError) as error:
            raise AssertionError(
                f"{error}\nserver errors: {server_errors(server.logs())}"
            ) from None
        assert server.process.poll() is None, "daphne died"
        server_cpu = cpu_seconds(server.process.pid)
    finally:
        server.stop()
    logs = server.logs()
    clients: list[ChatClient] = result["clients"]
    problems = [p for c in clients for p in c.problems]
    assert not problems, problems[:20]
    assert result["stats"]["stalls"] == 0, "a frame was never answered on an open socket"

    # The database: in each room seq 1..N without a gap, one row per client_id.
    stored = list(
        Message.objects.filter(room_id__in=rooms)
        .order_by("room_id", "seq")
        .values("id", "room_id", "seq", "author_id", "client_id", "status", "created_at")
    )
    assert {m["status"] for m in stored} == {Message.Status.PUBLISHED}
    assert not (
        Message.objects.values("author_id", "client_id").annotate(n=Count("id")).filter(n__gt=1)
    ).exists()
    by_room: dict[int, list[tuple[int, int]]] = {r: [] for r in rooms}
    for m in stored:
        by_room[m["room_id"]].append((m["seq"], m["id"]))
    last_seq = dict(Room.objects.filter(pk__in=rooms).values_list("pk", "last_seq"))
    for room, rows in by_room.items():
        assert [seq for seq, _ in rows] == list(range(1, len(rows) + 1)), f"gap in room {room}"
        assert last_seq[room] == len(rows)

    # Every client's view of each of its rooms against the database.
    lost = duplicated = out_of_order = 0
    for client in clients:
        for room in client.rooms:
            view, truth = client.room_view(room), by_room[room]
            lost += len(set(truth) - set(view))
            duplicated += len(view) - len({mid for _, mid in view})
            out_of_order += sum(a != b for a, b in zip(view, truth, strict=False))
    for client in clients:
        for room in client.rooms:
            assert client.room_view(room) == by_room[room], f"{client.name}, room {room}"

    # Every stored message was acknowledged to its author as that message, and
    # nothing was acknowledged that is not stored.
    stored_by_key = {(m["author_id"], str(m["client_id"])): m for m in stored}
    acked = {
        (client.user["id"], client_id): message
        for client in clients
        for client_id, message in client.acks.items()
    }
    assert set(acked) == set(stored_by_key)
    for key, message in acked.items():
        assert (message["id"], message["seq"]) == (
            stored_by_key[key]["id"],
            stored_by_key[key]["seq"],
        )
    assert not any(c.pending for c in clients)
    # Acknowledged only on a resend; of those, stored before the cut.
    client_of = {c.user["id"]: c for c in clients}
    acked_on_resend = stored_before_cut = 0
    for (author, client_id), m in stored_by_key.items():
        transmits = client_of[author].ack_transmits[client_id]
        if len(transmits) > 1:
            acked_on_resend += 1
            stored_before_cut += m["created_at"].timestamp() < transmits[-1]

    total = len(stored)
    cuts = sum(c.cuts for c in clients)
    between = sum(c.cuts_with_unacked for c in clients)
    assert "Exception inside application" not in logs, logs[-5000:]
    print(
        f"\nsoak: {total} messages, {cuts} cuts ({between} between send and ack), "
        f"{lost} lost, {duplicated} duplicated, {out_of_order} out of order"
    )
    errors = sum((Counter(c.errors) for c in clients), Counter())
    print(
        f"soak details: {connection.vendor}, "
        f"{'redis pub/sub' if settings.REDIS_URL else 'in-memory'} layer; "
        f"{result['exchange']:.1f} s ({total / result['exchange']:.0f} messages/s), "
        f"daphne CPU {server_cpu:.1f} s; {sum(c.connects for c in clients)} connections "
        f"({sum(c.drops for c in clients)} closed by the server), connect times p50/p90: "
        f"{connect_times(clients)}; {sum(c.resends for c in clients)} resends, "
        f"{acked_on_resend} messages acknowledged only on a resend ({stored_before_cut} of them "
        f"stored before the cut); {sum(c.live_messages for c in clients)} live deliveries "
        f"({sum(c.duplicate_deliveries for c in clients)} copies of a known seq kept once), "
        f"{sum(c.gap_fills for c in clients)} history fills, {result['behind_at_end']} room "
        f"views behind when sending ended; errors {dict(errors)}"
    )
    assert (lost, duplicated, out_of_order) == (0, 0, 0)
    assert total >= 2000
    assert cuts >= 300
    assert between >= 100
