"""PostgreSQL faults under a real daphne: connections killed during sends, an outage.

(The first tests, on any database, check the deadline of a database call.)

The delivery contract (DESIGN.md) under faults: nothing is acknowledged that
was not committed; a send that fails is answered `unavailable` within 5 s; a
retry with the same client_id never makes a second row; and Village recovers
by itself, without a restart, once the database is back.

The faults are made from the test's own connections to its own database:
`pg_terminate_backend` on every other client backend of the test database,
and `ALLOW_CONNECTIONS false` for an outage (always restored in `finally`).
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field

import psycopg
import pytest
import websockets
from django.conf import settings
from django.db import OperationalError, connection
from psycopg import sql

from accounts.models import User
from chat import services as chat_services
from chat.models import Message
from infra.dbwork import DatabaseTimeout, in_db_thread
from tests.conftest import make_member
from tests.servers import DaphneServer
from tests.sockets import mint_session

pytestmark = pytest.mark.django_db(transaction=True)

FAULT_SECONDS = 6.0  # terminations, every 0.15-0.45 s, while clients send
UNAVAILABLE_WITHIN = 5.0  # seconds: the contract for a send that fails
RECOVER_WITHIN = 5.0  # seconds after the faults stop
SERVER_ENV = {
    # Thousands of sends in seconds: the rate limit is not what is tested here.
    "VILLAGE_SEND_RATE_COUNT": "1000000",
    "VILLAGE_SEND_RATE_SECONDS": "1",
}


async def test_a_database_call_that_never_returns_is_answered_unavailable(
    sockets, mum, open_room, settings, monkeypatch
):
    """A stalled call (no error, no answer) must not hold the socket for ever."""
    settings.VILLAGE_DB_CALL_TIMEOUT = 0.5
    release = threading.Event()

    def stalled(**kwargs):
        release.wait(10)
        raise OperationalError("released at the end of the test")

    monkeypatch.setattr(chat_services, "send_message", stalled)
    amy = await sockets(mum)
    try:
        client_id = str(uuid.uuid4())
        started = time.monotonic()
        error = await amy.ask(
            {"type": "send", "room": open_room.pk, "client_id": client_id, "body": "hi"}, "error"
        )
        took = time.monotonic() - started
        assert (error["code"], error["ref"]) == ("unavailable", client_id)
        assert took < 2, took
        # The next frame of the socket is answered: it is not stuck behind the call.
        history = await amy.ask(
            {"type": "history", "room": open_room.pk, "after_seq": 0}, "history"
        )
        assert history["messages"] == []
    finally:
        release.set()
    print(f"\nstalled call: unavailable in {took:.2f} s (deadline 0.5 s)")


async def test_a_timeout_raised_by_the_call_itself_is_not_taken_for_the_deadline():
    def own_timeout():
        raise TimeoutError("the call's own")

    with pytest.raises(TimeoutError) as raised:
        await in_db_thread(own_timeout)()
    assert not isinstance(raised.value, DatabaseTimeout)
    assert str(raised.value) == "the call's own"
    assert issubclass(DatabaseTimeout, OperationalError)  # the consumer says `unavailable`


class Faults:
    """The test's own connection, used to break everyone else's.

    Never kills itself (`pg_backend_pid()`) nor the test's Django connection
    (`spare`), and only client backends of the test database.
    """

    def __init__(self, spare_pid: int):
        db = connection.settings_dict
        self.dbname = db["NAME"]
        params = {
            "host": db.get("HOST") or "127.0.0.1",
            "port": db.get("PORT") or 5432,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "autocommit": True,
        }
        self.conn = psycopg.connect(dbname=self.dbname, **params)
        # PostgreSQL will not close the database a session is connected to:
        # ALLOW_CONNECTIONS is changed from the maintenance database.
        self.admin = psycopg.connect(dbname="postgres", **params)
        self.spare_pid = spare_pid
        self.terminations = 0
        self.backends_killed = 0

    def terminate(self) -> int:
        rows = self.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND pid <> %s AND backend_type = 'client backend'",
            [self.spare_pid],
        ).fetchall()
        killed = sum(1 for (done,) in rows if done)
        self.terminations += 1
        self.backends_killed += killed
        return killed

    def allow_connections(self, allowed: bool) -> None:
        self.admin.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(self.dbname), sql.SQL("true" if allowed else "false")
            )
        )

    def close(self) -> None:
        self.conn.close()
        self.admin.close()


@dataclass
class Tally:
    sends: int = 0  # distinct messages (client_ids) sent
    attempts: int = 0
    acked: dict[str, dict] = field(default_factory=dict)  # client_id -> message
    unavailable: list[float] = field(default_factory=list)  # seconds to each `unavailable`
    unexpected: list[dict] = field(default_factory=list)  # other errors, timeouts


async def open_socket(server: DaphneServer, session_key: str):
    socket = await websockets.connect(
        server.url.replace("http", "ws") + "/ws/chat/",
        additional_headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}",
            "Origin": server.url,
        },
        open_timeout=10,
    )
    hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
    assert hello["type"] == "hello", hello
    return socket


async def answer_to(socket, client_id: str, timeout: float) -> dict:
    """The `ack` or `error` for this client_id (events in between are skipped)."""

    async def wait():
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == "ack" and frame["client_id"] == client_id:
                return frame
            if frame["type"] == "error" and frame.get("ref") == client_id:
                return frame

    return await asyncio.wait_for(wait(), timeout)


async def send_once(
    socket, room_id: int, client_id: str, body: str, tally: Tally, wait: float = 15.0
) -> dict:
    """One attempt; returns the answer (or a synthetic `no_answer` error)."""
    tally.attempts += 1
    started = time.monotonic()
    await socket.send(
        json.dumps({"type": "send", "room": room_id, "client_id": client_id, "body": body})
    )
    try:
        answer = await answer_to(socket, client_id, timeout=wait)
    except TimeoutError:
        answer = {"type": "error", "code": "no_answer", "ref": client_id}
    took = time.monotonic() - started
    if answer["type"] == "ack":
        tally.acked[client_id] = answer["message"]
    elif answer["code"] == "unavailable":
        tally.unavailable.append(took)
    else:
        tally.unexpected.append({**answer, "took": took})
    return answer


async def send_until_acked(
    socket, room_id: int, body: str, tally: Tally, client_id: str | None = None
) -> dict:
    """Retry with the same client_id after `unavailable`, as the client script does."""
    client_id = client_id or str(uuid.uuid4())
    tally.sends += 1
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answer = await send_once(socket, room_id, client_id, body, tally)
        if answer["type"] == "ack":
            return answer
        if answer["code"] != "unavailable":
            raise AssertionError(f"unexpected answer to a send: {answer}")
        await asyncio.sleep(random.uniform(0.02, 0.1))
    raise AssertionError(f"{client_id} was never acknowledged")


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local test server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def ready_status(server: DaphneServer) -> tuple[int, dict, float]:
    started = time.monotonic()
    status, body = await asyncio.to_thread(get_json, server.url + "/healthz/ready")
    return status, body, time.monotonic() - started


def check_store(room_id: int, tally: Tally) -> dict[str, int]:
    """Compare what was acknowledged with what the database holds."""
    rows = list(
        Message.objects.filter(room_id=room_id).values("id", "seq", "author_id", "client_id")
    )
    by_client = Counter(str(row["client_id"]) for row in rows)
    stored = {str(row["client_id"]): row for row in rows}
    acked_not_stored = [
        cid
        for cid, message in tally.acked.items()
        if cid not in stored
        or stored[cid]["id"] != message["id"]
        or stored[cid]["seq"] != message["seq"]
        or stored[cid]["author_id"] != message["author"]["id"]
    ]
    duplicates = sum(count - 1 for count in by_client.values() if count > 1)
    duplicates += sum(
        count - 1
        for count in Counter(row["id"] for row in tally.acked.values()).values()
        if count > 1
    )
    seqs = sorted(row["seq"] for row in rows if row["seq"] is not None)
    return {
        "rows": len(rows),
        "acked_not_stored": len(acked_not_stored),
        "duplicates": duplicates,
        "stored_not_acked": len(set(stored) - set(tally.acked)),
        "seq_gapless": seqs == list(range(1, len(seqs) + 1)),
    }


@pytest.fixture
def senders(coordinator, mum, other_mum, open_room) -> list[User]:
    people = [mum, other_mum]
    for name in ("Cat", "Dee"):
        person = make_member(f"{name.lower()}@example.net", name)
        chat_services.enrol_member(actor=coordinator, room_id=open_room.pk, member=person)
        people.append(person)
    return people


@pytest.mark.postgres
def test_killed_connections_and_an_outage_lose_nothing_and_village_recovers(
    tmp_path, senders, open_room
):
    room_id = open_room.pk
    keys = [mint_session(person) for person in senders]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own_pid = cursor.fetchone()[0]
    faults = Faults(spare_pid=own_pid)
    server = DaphneServer(
        mail_dir=tmp_path, log_path=tmp_path / "daphne.log", extra_env=SERVER_ENV
    ).start()
    tally = Tally()
    figures: dict[str, float] = {}
    try:

        async def scenario():
            sockets = [await open_socket(server, key) for key in keys]
            stop = asyncio.Event()

            async def keep_sending(n: int, socket) -> None:
                count = 0
                while not stop.is_set():
                    count += 1
                    await send_until_acked(socket, room_id, f"note {count} from {n}", tally)

            async def terminate_repeatedly() -> float:
                loop = asyncio.get_running_loop()
                end = loop.time() + FAULT_SECONDS
                while loop.time() < end:
                    await asyncio.sleep(random.uniform(0.15, 0.45))
                    await asyncio.to_thread(faults.terminate)
                stop.set()
                return time.monotonic()

            clients = [asyncio.create_task(keep_sending(n, s)) for n, s in enumerate(sockets)]
            faults_ended = await terminate_repeatedly()
            await asyncio.gather(*clients)

            # Recovery after terminations: a new socket (its handshake reads the
            # session) and a fresh send, both through connections made anew.
            fresh = await open_socket(server, keys[0])
            await send_until_acked(fresh, room_id, "after the terminations", tally)
            figures["recovered_after_kills"] = time.monotonic() - faults_ended
            await fresh.close()

            # An outage: the database refuses new connections and loses the old.
            await asyncio.to_thread(faults.allow_connections, False)
            try:
                await asyncio.to_thread(faults.terminate)
                status, body, took = await ready_status(server)
                assert (status, body["database"]) == (503, "unavailable"), (status, body)
                assert took < 3.5, took
                figures["ready_503_in"] = took
                live, _ = await asyncio.to_thread(get_json, server.url + "/healthz/live")
                assert live == 200
                client_id = str(uuid.uuid4())
                started = time.monotonic()
                answer = await send_once(sockets[1], room_id, client_id, "in the outage", tally)
                figures["outage_unavailable_in"] = time.monotonic() - started
                assert answer["type"] == "error" and answer["code"] == "unavailable", answer
            finally:
                await asyncio.to_thread(faults.allow_connections, True)
            outage_ended = time.monotonic()

            # Recovery: the retry of the send that failed, a fresh socket and
            # send, and readiness, all without restarting daphne.
            await send_until_acked(sockets[1], room_id, "in the outage", tally, client_id)
            fresh = await open_socket(server, keys[2])
            await send_until_acked(fresh, room_id, "after the outage", tally)
            while True:
                status, body, _ = await ready_status(server)
                if status == 200:
                    break
                assert time.monotonic() - outage_ended < RECOVER_WITHIN, body
                await asyncio.sleep(0.1)
            figures["recovered_after_outage"] = time.monotonic() - outage_ended
            backends = {key: body[key] for key in ("database", "redis")}
            assert backends == {
                "database": "ok",
                "redis": "ok" if settings.REDIS_URL else "not used",
            }
            await fresh.close()
            for socket in sockets:
                await socket.close()

        asyncio.run(scenario())
    finally:
        try:
            faults.allow_connections(True)
        finally:
            faults.close()
            server.stop()

    store = check_store(room_id, tally)
    slowest = max(tally.unavailable, default=0.0)
    recovered = max(figures["recovered_after_kills"], figures["recovered_after_outage"])
    print(
        f"\npostgres faults: {faults.terminations} terminations, {tally.sends} sends,"
        f" {len(tally.acked)} acked, {store['acked_not_stored']} acked-but-not-stored,"
        f" {store['duplicates']} duplicates, unavailable within {slowest:.2f} s,"
        f" recovered in {recovered:.2f} s"
    )
    print(
        f"  {faults.backends_killed} backends killed, {tally.attempts} attempts,"
        f" {len(tally.unavailable)} answered unavailable, {store['rows']} rows"
        f" ({store['stored_not_acked']} stored but never acked), seq gapless: "
        f"{store['seq_gapless']}; recovered after the terminations in "
        f"{figures['recovered_after_kills']:.2f} s, after the outage in "
        f"{figures['recovered_after_outage']:.2f} s; outage: /healthz/ready 503 in "
        f"{figures['ready_503_in']:.2f} s, a send answered unavailable in "
        f"{figures['outage_unavailable_in']:.2f} s"
    )
    assert not tally.unexpected, tally.unexpected
    assert store["acked_not_stored"] == 0
    assert store["duplicates"] == 0
    assert store["stored_not_acked"] == 0  # every message was retried until acked
    assert store["seq_gapless"]
    assert len(tally.acked) == tally.sends
    assert tally.unavailable, "no send was hit by a fault: the test proved nothing"
    assert slowest < UNAVAILABLE_WITHIN
    assert recovered < RECOVER_WITHIN
    assert "Exception inside application" not in server.logs(), server.logs()[-5000:]


class StallingProxy:
    """A TCP proxy in front of PostgreSQL that can stop passing bytes on.

    Stalled, it models a database that does not answer (a frozen host, a
    network partition that drops packets): connections stay open, nothing
    comes back, and new connections get no further than the TCP handshake.
    """

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.server = await asyncio.start_server(self.handle, sock=self.sock)

    def stall(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    async def handle(self, reader, writer) -> None:
        self.tasks.add(asyncio.current_task())
        self.writers.append(writer)
        await self.flowing.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self.writers.append(up_writer)
        await asyncio.gather(
            self.pipe(reader, up_writer), self.pipe(up_reader, writer), return_exceptions=True
        )

    async def pipe(self, source, sink) -> None:
        try:
            while data := await source.read(65536):
                await self.flowing.wait()
                sink.write(data)
                await sink.drain()
        finally:
            sink.close()

    async def close(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=2)


@pytest.mark.postgres
def test_a_stalled_database_gets_unavailable_within_5_s_and_village_recovers(
    tmp_path, mum, open_room
):
    """The database stops answering (no error, no reset): sends must not hang."""
    db = connection.settings_dict
    proxy = StallingProxy(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432))
    auth = db.get("USER") or "postgres"
    if db.get("PASSWORD"):
        auth += f":{db['PASSWORD']}"
    server = DaphneServer(
        mail_dir=tmp_path,
        log_path=tmp_path / "daphne.log",
        extra_env={
            **SERVER_ENV,
            "DATABASE_URL": f"postgres://{auth}@127.0.0.1:{proxy.port}/{db['NAME']}",
        },
    ).start()
    key = mint_session(mum)
    tally = Tally()
    figures: dict[str, float] = {}
    try:

        async def scenario():
            await proxy.start()
            try:
                ws = await open_socket(server, key)
                await send_until_acked(ws, open_room.pk, "before the stall", tally)
                proxy.stall()
                client_id = str(uuid.uuid4())
                started = time.monotonic()
                answer, (status, body, ready_took) = await asyncio.gather(
                    send_once(ws, open_room.pk, client_id, "in the stall", tally, wait=8),
                    ready_status(server),
                )
                figures["unavailable_in"] = time.monotonic() - started
                figures["ready_503_in"] = ready_took
                assert (status, body["database"]) == (503, "unavailable"), (status, body)
                assert answer["type"] == "error" and answer["code"] == "unavailable", answer
                # The socket is not stuck behind the stalled call: it answers again.
                history = json.dumps({"type": "history", "room": open_room.pk, "after_seq": 0})
                started = time.monotonic()
                await ws.send(history)
                frame = json.loads(await asyncio.wait_for(ws.recv(), 8))
                figures["next_frame_in"] = time.monotonic() - started
                assert frame.get("code") == "unavailable", frame
                # A handshake now waits for the database (its session lookup),
                # but liveness does not: it never touches the database.
                handshake_started = time.monotonic()
                handshake = asyncio.create_task(open_socket(server, key))
                await asyncio.wait({handshake}, timeout=1)
                assert not handshake.done()
                started = time.monotonic()
                live, _ = await asyncio.to_thread(get_json, server.url + "/healthz/live")
                figures["live_in"] = time.monotonic() - started
                assert live == 200 and not handshake.done()

                proxy.resume()
                resumed = time.monotonic()
                late = await asyncio.wait_for(handshake, RECOVER_WITHIN)
                figures["handshake_waited"] = time.monotonic() - handshake_started
                await late.close()
                await send_until_acked(ws, open_room.pk, "in the stall", tally, client_id)
                await send_until_acked(ws, open_room.pk, "after the stall", tally)
                status, body, _ = await ready_status(server)
                figures["recovered_in"] = time.monotonic() - resumed
                assert status == 200, body
                await ws.close()
            finally:
                proxy.resume()
                await proxy.close()

        asyncio.run(scenario())
    finally:
        server.stop()

    store = check_store(open_room.pk, tally)
    print(
        f"\npostgres stall: a send answered unavailable in {figures['unavailable_in']:.2f} s,"
        f" the next frame in {figures['next_frame_in']:.2f} s, /healthz/ready 503 in"
        f" {figures['ready_503_in']:.2f} s; {tally.sends} sends, {len(tally.acked)} acked,"
        f" {store['acked_not_stored']} acked-but-not-stored, {store['duplicates']} duplicates,"
        f" recovered in {figures['recovered_in']:.2f} s; /healthz/live 200 in"
        f" {figures['live_in']:.2f} s while a handshake waited {figures['handshake_waited']:.2f} s"
        " (until the database answered)"
    )
    assert not tally.unexpected, tally.unexpected
    assert figures["unavailable_in"] < UNAVAILABLE_WITHIN
    assert figures["next_frame_in"] < UNAVAILABLE_WITHIN
    assert store["acked_not_stored"] == 0 and store["duplicates"] == 0
    assert store["stored_not_acked"] == 0 and store["seq_gapless"]
    assert len(tally.acked) == tally.sends == 3
    assert figures["recovered_in"] < RECOVER_WITHIN
    assert "Exception inside application" not in server.logs(), server.logs()[-5000:]
