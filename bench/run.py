"""Run the load scenarios, print a table and write JSON.

    python -m bench.run                      # the standard set (`make bench`)
    python -m bench.run fanout --sizes 50 --rooms 5,10,20,30 --seconds 10
    python -m bench.run idle --sockets 1000,5000,10000
    python -m bench.run direct --rates 100,300,500
    python -m bench.run storm --clients 2000
    python -m bench.run compare              # pub/sub vs core layer, daphne vs uvicorn
    python -m bench.run screening --rooms 5,10,20  # both stages of screening, the real model

Everything runs on this machine: PostgreSQL and Redis (BENCH_DATABASE_URL,
BENCH_REDIS_URL), the servers under test, and this generator. The bench
database is dropped and migrated afresh at the start of every run. Results go
to bench/results/<scenario>.json; docs/performance.md explains them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/village_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2")
BODY = "Has anyone else found the evenings the hardest? I'm so tired but can't settle."
# BENCH_PROFILE=1: py-spy samples each server process (the thread holding the
# GIL) during every measurement; bench/profile_summary.py reads the samples.
PROFILE = RESULTS / "profiles" if os.environ.get("BENCH_PROFILE") else None
FANOUT_P99_LIMIT_MS = 250
DIRECT_P99_LIMIT_MS = 100
SCREENING_P99_LIMIT_MS = 300  # issue 17: a busy evening's group messages, through both stages


# --- set-up ------------------------------------------------------------------


def prepare() -> None:
    """A fresh bench database, migrated; Django set up in this process on it."""
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    admin = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        VILLAGE_ENV="demo",
        DJANGO_DEBUG="0",
        VILLAGE_REDIS_PREFIX="bench",
        DJANGO_SETTINGS_MODULE="village.settings",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, check=True
    )
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    import django

    django.setup()


def tag(scenario: str) -> str:
    from bench import population

    return population.new_tag(scenario)


# --- measuring ---------------------------------------------------------------


class Window:
    """Generator and server CPU over one measurement."""

    def __init__(self, target) -> None:
        from bench.loadgen import CpuClock

        self.target = target
        self.generator = CpuClock()

    def __enter__(self) -> Window:
        self.profilers = [] if PROFILE is None else self.target.profile(PROFILE)
        self.generator.start()
        self.wall = time.perf_counter()
        self.server_cpu = self.target.cpu_seconds()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.wall
        self.generator_cpu = self.generator.read()
        self.server_cpu = 100 * (self.target.cpu_seconds() - self.server_cpu) / self.seconds
        for profiler in self.profilers:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=30)


def row_from(ledger, window: Window, seconds: float, **fields: Any) -> dict[str, Any]:
    from bench.loadgen import percentiles

    return {
        **fields,
        "sent": len(ledger.sent_at),
        "acked": len(ledger.acked),
        "deliveries_per_s": round(len(ledger.latencies) / seconds),
        **{k: _round(v) for k, v in percentiles(ledger.latencies).items()},
        "ack_p99": _round(percentiles(ledger.ack_latencies)["p99"]),
        "lost": ledger.lost,
        "duplicated": ledger.duplicates,
        "errors": dict(ledger.errors),
        "generator_cpu_pct": round(window.generator_cpu),
        "server_cpu_pct": round(window.server_cpu),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- the scenarios -----------------------------------------------------------


def rooms_for(target, *, rooms: int, size: int, pairs: bool = False):
    """Village needs real people and rooms; the baselines take any ids."""
    from bench import population

    if target.name.startswith("village"):
        if pairs:
            return population.pairs(tag("pairs"), count=rooms)
        return population.groups(tag("groups"), rooms=rooms, size=size)
    people = tuple(population.Person(id=0, cookie=None) for _ in range(size))
    return [population.Group(id=n + 1, members=people) for n in range(rooms)]


async def _load_steps(
    target,
    groups,
    *,
    steps: list[tuple[int, float]],
    seconds: float,
    limit_ms: float,
    describe: Callable[[int, float], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Step the load up: (rooms, interval) each; stop after p99 passes limit_ms."""
    from bench import loadgen

    rooms: list[loadgen.Room] = []
    rows = []
    opened = 0
    for count, interval in steps:
        for group in groups[opened:count]:
            sockets = await loadgen.open_sockets(
                target.url(opened),
                target.origin(opened),
                [p.cookie for p in group.members],
                first_id=opened * 1000,
            )
            await loadgen.join_all([(s, group.id) for s in sockets])
            rooms.append(loadgen.Room(group.id, sockets))
            opened += 1
        ledger = loadgen.Ledger()
        for room in rooms[:count]:
            for socket in room.sockets:
                socket.ledger = ledger
        # A second of load first, unrecorded: caches and connections warm up.
        await loadgen.drive(rooms[:count], interval=interval, seconds=1, ledger=loadgen.Ledger(),
                            body=BODY)  # fmt: skip
        await asyncio.sleep(0.5)
        with Window(target) as window:
            await loadgen.drive(
                rooms[:count], interval=interval, seconds=seconds, ledger=ledger, body=BODY
            )
            await loadgen.settle(ledger, timeout=5)
        row = row_from(ledger, window, seconds, target=target.name, **describe(count, interval))
        rows.append(row)
        print_row(row)
        if row["p99"] is None or row["p99"] > limit_ms or not target.alive:
            break
    for room in rooms:
        await asyncio.gather(*(s.close() for s in room.sockets))
    return rows


def fanout(target, *, size: int, room_counts: list[int], seconds: float) -> list[dict]:
    """Scenario 2: rooms of `size`, one message per room every 200 ms."""
    groups = rooms_for(target, rooms=max(room_counts), size=size)
    interval = 0.2
    return asyncio.run(
        _load_steps(
            target,
            groups,
            steps=[(count, interval) for count in room_counts],
            seconds=seconds,
            limit_ms=FANOUT_P99_LIMIT_MS,
            describe=lambda count, _: {
                "scenario": "fanout",
                "size": size,
                "rooms": count,
                "offered_per_s": round(count * size / interval),
            },
        )
    )


def direct(target, *, rates: list[int], seconds: float) -> list[dict]:
    """Scenario 3: 1:1 chats, each pair posting once a second; more pairs at each step."""
    groups = rooms_for(target, rooms=max(rates), size=2, pairs=True)
    return asyncio.run(
        _load_steps(
            target,
            groups,
            steps=[(rate, 1.0) for rate in rates],
            seconds=seconds,
            limit_ms=DIRECT_P99_LIMIT_MS,
            describe=lambda count, interval: {
                "scenario": "direct",
                "pairs": count,
                "offered_msgs_per_s": round(count / interval),
            },
        )
    )


def idle(target, *, counts: list[int], seconds: float) -> list[dict]:
    """Scenario 1: connected sockets (each her own login, in a room of 50, not sending)."""
    from bench import loadgen, population

    groups = population.groups(tag("idle"), rooms=max(counts) // 50, size=50)
    cookies = [person.cookie for group in groups for person in group.members]

    async def run() -> list[dict]:
        sockets: list[loadgen.Socket] = []
        # One socket first: the process's baseline includes a warmed-up app.
        sockets += await loadgen.open_sockets(target.url(0), target.origin(0), cookies[:1])
        await asyncio.sleep(2)
        base_rss = target.rss()
        rows = []
        for count in counts:
            started = time.perf_counter()
            sockets += await loadgen.open_sockets(
                target.url(0), target.origin(0), cookies[len(sockets) : count],
                first_id=len(sockets),
            )  # fmt: skip
            connect_seconds = time.perf_counter() - started
            await asyncio.sleep(2)
            with Window(target) as window:
                await asyncio.sleep(seconds)
            rss = target.rss()
            row = {
                "scenario": "idle",
                "target": target.name,
                "sockets": count,
                "handshakes_per_s": round(
                    (count - (rows[-1]["sockets"] if rows else 1)) / connect_seconds
                ),  # fmt: skip
                "rss_mib": round(rss / 2**20, 1),
                "kib_per_socket": round((rss - base_rss) / 1024 / (count - 1), 1),
                "idle_server_cpu_pct": round(window.server_cpu, 1),
                "refused_handshakes": loadgen.refused_handshakes,
                "generator_cpu_pct": round(window.generator_cpu, 1),
                "alive": target.alive,
            }
            rows.append(row)
            print_row(row)
        await asyncio.gather(*(s.close() for s in sockets))
        return rows

    return asyncio.run(run())


def storm(target, *, clients: int, size: int = 50) -> list[dict]:
    """Scenario 5: every client dropped at once reconnects (as chat.js does) and catches up.

    Each room also has one talker who stays connected and keeps posting
    through the storm, so the others have something to catch up on.
    """
    from bench import loadgen

    rooms = clients // size
    groups = rooms_for(target, rooms=rooms, size=size + 1)

    failures: dict[str, int] = {}

    async def reconnect(socket: loadgen.Socket, room: int) -> None:
        """As chat.js: back off, reconnect, join with after_seq, page on while `more`."""
        attempt = 0
        while True:
            await loadgen.backoff(attempt)
            attempt += 1
            try:
                await socket.connect()
                answer = await socket.join(room, after_seq=_contiguous(socket, room))
                while answer.get("more"):
                    answer = await socket.history(room, after_seq=_contiguous(socket, room))
                return
            except (OSError, TimeoutError, loadgen.websockets.InvalidHandshake,
                    loadgen.websockets.ConnectionClosed) as error:  # fmt: skip
                failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
                socket.cut()

    async def run() -> list[dict]:
        talkers, listeners = [], []
        ledger = loadgen.Ledger()
        for n, group in enumerate(groups):
            sockets = await loadgen.open_sockets(
                target.url(n), target.origin(n), [p.cookie for p in group.members],
                first_id=n * 1000,
            )  # fmt: skip
            await loadgen.join_all([(s, group.id) for s in sockets])
            sockets[0].ledger = ledger
            talkers.append(loadgen.Room(group.id, sockets[:1]))
            listeners += [(s, group.id) for s in sockets[1:]]
        await loadgen.drive(talkers, interval=0.25, seconds=1, ledger=ledger, body=BODY)
        await loadgen.settle(ledger, timeout=10)
        started = time.perf_counter()
        with Window(target) as window:
            for socket, _ in listeners:
                socket.cut()
            # The room goes on talking while everyone is away.
            talking = asyncio.create_task(
                loadgen.drive(talkers, interval=0.25, seconds=1, ledger=ledger, body=BODY)
            )
            await asyncio.gather(*(reconnect(s, room) for s, room in listeners))
            back = time.perf_counter() - started
            await talking
            await loadgen.settle(ledger, timeout=10)
            # What was posted after a listener's join arrives live; a client
            # fills a gap it notices with `history`, as chat.js does.
            deadline = time.perf_counter() + 30
            while time.perf_counter() < deadline:
                behind = [(s, room) for s, room in listeners if _missing(s, room, talkers)]
                if not behind:
                    break
                await asyncio.sleep(0.5)
                for socket, room in behind:
                    if _missing(socket, room, talkers):
                        await socket.history(room, after_seq=_contiguous(socket, room))
            caught_up = time.perf_counter() - started
        missing = sum(_missing(s, room, talkers) for s, room in listeners)
        last = {t.id: t.sockets[0].last_seq.get(t.id, 0) for t in talkers}
        row = {
            "scenario": "storm",
            "target": target.name,
            "clients": len(listeners),
            "messages_per_room": round(sum(last.values()) / len(last)),
            "all_back_s": round(back, 2),
            "all_caught_up_s": round(caught_up, 2),
            "lost": missing,
            "duplicated": ledger.duplicates,
            "failed_attempts": failures,
            "server_cpu_pct": round(window.server_cpu),
            "generator_cpu_pct": round(window.generator_cpu),
        }
        print_row(row)
        await asyncio.gather(*(s.close() for s, _ in listeners))
        await asyncio.gather(*(t.sockets[0].close() for t in talkers))
        return [row]

    return asyncio.run(run())


def _contiguous(socket, room: int) -> int:
    seen = socket.seqs.get(room, set())
    seq = 0
    while seq + 1 in seen:
        seq += 1
    return seq


def _missing(socket, room: int, talkers) -> int:
    talker = next(t for t in talkers if t.id == room)
    last = talker.sockets[0].last_seq.get(room, 0)
    return last - len(socket.seqs.get(room, set()) & set(range(1, last + 1)))


# --- output ------------------------------------------------------------------


def print_row(row: dict[str, Any]) -> None:
    print("  " + "  ".join(f"{k}={v}" for k, v in row.items() if k != "scenario"), flush=True)


def write(name: str, payload: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(payload, indent=2) + "\n")


# --- the runs ----------------------------------------------------------------


# The server and channel layer of every run (`--server`, `--layer`).
CHOICE = {"server": "daphne", "layer": "pubsub"}


def targets(names: list[str], **options: Any):
    from bench import targets as t

    village_options = {**CHOICE, **options}

    makers = {
        "village": lambda: t.village(
            database_url=DATABASE_URL, redis_url=REDIS_URL, **village_options
        ),  # fmt: skip
        "relay": lambda: t.relay(
            redis_url=REDIS_URL,
            server=village_options.get("server", "daphne"),
            layer=village_options.get("layer", "pubsub"),
        ),
        "websockets": t.bare_websockets,
    }
    return [makers[name] for name in names]


def on(make_target, scenario: Callable[[Any], list[dict]]) -> list[dict]:
    target = make_target().start()
    try:
        return scenario(target)
    finally:
        target.stop()


def ratios(rows: list[dict], key: tuple[str, ...]) -> list[dict]:
    """Village's p99 and throughput over each baseline's, at the same offered load."""
    by_load: dict[tuple, dict[str, dict]] = {}
    for row in rows:
        by_load.setdefault(tuple(row[k] for k in key), {})[row["target"]] = row
    out = []
    for load, seen in by_load.items():
        village = seen.get("village")
        if village is None:
            continue
        entry = dict(zip(key, load, strict=True))
        for base in ("relay", "websockets"):
            if base in seen and seen[base]["p99"] and village["p99"]:
                entry[f"p99_x_{base}"] = round(village["p99"] / seen[base]["p99"], 1)
                entry[f"throughput_x_{base}"] = round(
                    village["deliveries_per_s"] / max(1, seen[base]["deliveries_per_s"]), 2
                )
        out.append(entry)
    return out


def run_idle(args) -> None:
    print(f"idle sockets on one daphne process: {args.sockets}")
    rows = on(targets(["village"])[0],
              lambda t: idle(t, counts=args.sockets, seconds=args.seconds))  # fmt: skip
    write("idle", {"rows": rows})


def run_fanout(args) -> None:
    rows = []
    for size in args.sizes:
        counts = args.rooms or FANOUT_STEPS[size]
        names = [n for n in args.targets if n == "village" or size in args.baseline_sizes]
        for make in targets(names):
            print(f"fan-out, rooms of {size}, {make().name}: rooms {counts}")
            rows += on(make, lambda t, s=size, c=counts: fanout(t, size=s, room_counts=c,
                                                                seconds=args.seconds))  # fmt: skip
    table = ratios(rows, ("size", "rooms"))
    print_ratios(table)
    write("fanout", {"rows": rows, "ratios": table})


def run_direct(args) -> None:
    rows = []
    for make in targets(args.targets):
        print(f"1:1 chats, {make().name}: msgs/s {args.rates} (one pair per msg/s)")
        rows += on(make, lambda t: direct(t, rates=args.rates,
                                          seconds=args.seconds))  # fmt: skip
    table = ratios(rows, ("offered_msgs_per_s",))
    print_ratios(table)
    write("direct", {"rows": rows, "ratios": table})


def screening(target, *, room_counts: list[int], size: int, seconds: float) -> list[dict]:
    """Scenario 6: group messages through both stages of screening with the
    shipped model, one message per room a second (so rooms = messages a
    second); how many were published past their deadline, unscreened."""
    from chat.models import Message

    groups = rooms_for(target, rooms=max(room_counts), size=size)

    def counts() -> dict[str, int]:
        from django.db import connection

        try:
            return {
                # Since the start of the run (each step adds to it).
                "past_deadline": Message.objects.filter(
                    screening__in=[Message.Screening.OVERDUE, Message.Screening.LATE]
                ).count(),
                "screened": Message.objects.filter(screening=Message.Screening.DONE).count(),
            }
        finally:
            connection.close()

    def describe(count: int, interval: float) -> dict[str, Any]:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as pool:  # the ORM is not for the event loop
            figures = pool.submit(counts).result()
        return {
            "scenario": "screening",
            "size": size,
            "rooms": count,
            "offered_msgs_per_s": round(count / interval),
            **figures,
        }

    return asyncio.run(
        _load_steps(
            target,
            groups,
            steps=[(count, 1.0) for count in room_counts],
            seconds=seconds,
            limit_ms=SCREENING_P99_LIMIT_MS,
            describe=describe,
        )
    )


def run_screening(args) -> None:
    from bench import targets as t

    env = {
        # The shipped model and both stages; the deadline's sweep in the web
        # process. Stage 2 on the web process's own task thread ("thread"), or
        # on `--workers` procrastinate worker processes.
        "VILLAGE_RISK_MODEL": "e5",
        "VILLAGE_SCREENING_STAGES": "2",
        "VILLAGE_TASKS": args.engine,
        "VILLAGE_PERIODIC_IN_WEB": "1",
    }
    make = targets(["village"], extra_env=env)[0]
    workers = []
    if args.engine == "procrastinate":
        worker_env = make().processes[0].env
        workers = [
            t.Process(
                [sys.executable, "manage.py", "procrastinate", "worker"], worker_env, f"worker-{n}"
            )  # fmt: skip
            for n in range(args.workers)
        ]
    print(
        f"screening: rooms of {args.size}, one message per room a second, rooms {args.rooms}, "
        f"stage 2 on {args.engine}" + (f" ({args.workers} workers)" if workers else "")
    )
    for worker in workers:
        worker.start()
    try:
        rows = on(make, lambda target: screening(target, room_counts=args.rooms, size=args.size,
                                                  seconds=args.seconds))  # fmt: skip
    finally:
        for worker in workers:
            worker.stop()
    write("screening", {"rows": [{**r, "engine": args.engine, "workers": len(workers)}
                                 for r in rows]})  # fmt: skip


def run_two(args) -> None:
    """Scenario 4: scenarios 2 and 3 on one and on two processes behind one Redis."""
    rows = []
    for processes in (1, 2):
        make = targets(["village"], processes=processes)[0]
        print(f"two processes: {processes} daphne process(es), fan-out rooms of 50")
        for row in on(make, lambda t: fanout(t, size=50, room_counts=FANOUT_STEPS[50],
                                             seconds=args.seconds)):  # fmt: skip
            rows.append({**row, "processes": processes})
        print(f"two processes: {processes} daphne process(es), 1:1 chats")
        for row in on(make, lambda t: direct(t, rates=DIRECT_RATES,
                                             seconds=args.seconds)):  # fmt: skip
            rows.append({**row, "processes": processes})
    summary = {}
    for scenario, limit in (("fanout", FANOUT_P99_LIMIT_MS), ("direct", DIRECT_P99_LIMIT_MS)):
        best = {
            p: max(
                (
                    r["deliveries_per_s"]
                    for r in rows
                    if r["scenario"] == scenario
                    and r["processes"] == p
                    and r["p99"] is not None
                    and r["p99"] <= limit
                    and not r["lost"]
                ),
                default=0,
            )  # fmt: skip
            for p in (1, 2)
        }
        summary[scenario] = {
            **{f"{p}_process_best": v for p, v in best.items()},
            "two_over_one": round(best[2] / best[1], 2) if best[1] else None,
        }
    print("  two processes over one:", summary)
    write("two_processes", {"rows": rows, "summary": summary})


def run_storm(args) -> None:
    print(f"reconnect storm: {args.clients} clients")
    write("storm", {"rows": on(targets(["village"])[0],
                               lambda t: storm(t, clients=args.clients))})  # fmt: skip


def run_compare(args) -> None:
    """The channel layers and the servers, at one fan-out load and one 1:1 load."""
    rows = []
    for server, layer in (("daphne", "pubsub"), ("daphne", "core"), ("uvicorn", "pubsub")):
        for name in ("village", "relay"):
            make = targets([name], server=server, layer=layer)[0]
            print(f"compare: {name} on {server} with the {layer} layer")
            for row in on(make, lambda t: fanout(t, size=50, room_counts=[args.rooms],
                                                 seconds=args.seconds)):  # fmt: skip
                rows.append({**row, "server": server, "layer": layer})
            for row in on(make, lambda t: direct(t, rates=[args.rate],
                                                 seconds=args.seconds)):  # fmt: skip
                rows.append({**row, "server": server, "layer": layer})
    write("compare", {"rows": rows})


def print_ratios(table: list[dict]) -> None:
    print("  Village over the baselines at the same load (p99 ratio; throughput ratio):")
    for entry in table:
        print("   ", "  ".join(f"{k}={v}" for k, v in entry.items()))


FANOUT_STEPS = {5: [10, 20, 40], 50: [5, 10, 15, 20], 200: [1, 2]}
DIRECT_RATES = [50, 100, 200, 400]


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--server", choices=["daphne", "uvicorn"], default=CHOICE["server"])
    parser.add_argument("--layer", choices=["pubsub", "core"], default=CHOICE["layer"])
    sub = parser.add_subparsers(dest="scenario")
    sub.add_parser("all", help="the standard set (make bench)")
    p = sub.add_parser("idle", help="scenario 1: idle sockets on one process")
    p.add_argument("--sockets", type=_ints, default=[1000, 5000])
    p.add_argument("--seconds", type=float, default=3)
    p = sub.add_parser("fanout", help="scenario 2: group fan-out")
    p.add_argument("--sizes", type=_ints, default=[5, 50, 200])
    p.add_argument("--rooms", type=_ints, default=None, help="room counts to step through")
    p.add_argument("--baseline-sizes", type=_ints, default=[50],
                   help="room sizes at which the baselines run too")  # fmt: skip
    p.add_argument(
        "--targets", type=lambda s: s.split(","), default=["village", "relay", "websockets"]
    )
    p.add_argument("--seconds", type=float, default=3)
    p = sub.add_parser("direct", help="scenario 3: 1:1 chats")
    p.add_argument("--rates", type=_ints, default=DIRECT_RATES)
    p.add_argument(
        "--targets", type=lambda s: s.split(","), default=["village", "relay", "websockets"]
    )
    p.add_argument("--seconds", type=float, default=3)
    p = sub.add_parser("two", help="scenario 4: two processes behind one Redis")
    p.add_argument("--seconds", type=float, default=3)
    p = sub.add_parser("storm", help="scenario 5: reconnect storm")
    p.add_argument("--clients", type=int, default=2000)
    p = sub.add_parser("screening", help="scenario 6: group messages through both stages")
    p.add_argument("--rooms", type=_ints, default=[5, 10, 20], help="= messages a second")
    p.add_argument("--size", type=int, default=10)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--engine", choices=["thread", "procrastinate"], default="procrastinate")
    p.add_argument("--workers", type=int, default=1)
    p = sub.add_parser("compare", help="channel layers and servers side by side")
    p.add_argument("--rooms", type=int, default=10)
    p.add_argument("--rate", type=int, default=100)
    p.add_argument("--seconds", type=float, default=3)
    return parser.parse_args(argv)


RUNS = {
    "idle": run_idle, "fanout": run_fanout, "direct": run_direct, "two": run_two,
    "storm": run_storm, "compare": run_compare, "screening": run_screening,
}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    CHOICE.update(server=args.server, layer=args.layer)
    prepare()
    started = time.perf_counter()
    if args.scenario in (None, "all"):
        for name in ("idle", "fanout", "direct", "two", "storm"):
            RUNS[name](parse([f"--server={args.server}", f"--layer={args.layer}", name]))
    else:
        RUNS[args.scenario](args)
    print_summary()
    print(f"done in {time.perf_counter() - started:.0f} s; results in {RESULTS}")


def _best(rows: list[dict], limit: float) -> dict | None:
    """The highest load whose p99 stayed within `limit` ms with nothing lost."""
    fine = [r for r in rows if r["p99"] is not None and r["p99"] <= limit and not r["lost"]]
    return max(fine, key=lambda r: r["deliveries_per_s"], default=None)


def print_summary() -> None:
    """The headline of each result file present: the table `make bench` ends with."""
    lines = ["", "| scenario | target | figure |", "|---|---|---|"]
    for name in ("idle", "fanout", "direct", "two_processes", "storm"):
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        if name == "idle":
            for r in data["rows"]:
                lines.append(
                    f"| idle | {r['target']} | {r['sockets']} sockets: {r['kib_per_socket']} "
                    f"KiB each, idle CPU {r['idle_server_cpu_pct']}% |"
                )
        elif name in ("fanout", "direct"):
            groups: dict[tuple, list[dict]] = {}
            for r in data["rows"]:
                groups.setdefault((r["target"], r.get("size", 2)), []).append(r)
            limit = FANOUT_P99_LIMIT_MS if name == "fanout" else DIRECT_P99_LIMIT_MS
            for (target, size), rows in groups.items():
                best = _best(rows, limit)
                what = f"rooms of {size}" if name == "fanout" else "1:1 pairs"
                lines.append(
                    f"| {name} | {target} | {what}: "
                    + (f"{best['deliveries_per_s']} deliveries/s at p50 {best['p50']} ms, "
                       f"p99 {best['p99']} ms (p99 <= {limit} ms)" if best
                       else f"no step kept p99 <= {limit} ms")
                    + " |"
                )  # fmt: skip
        elif name == "two_processes":
            for scenario, figures in data["summary"].items():
                lines.append(f"| two processes | village | {scenario}: {figures} |")
        else:
            for r in data["rows"]:
                lines.append(f"| storm | {r['target']} | {r['clients']} clients: all back in "
                             f"{r['all_back_s']} s, caught up in {r['all_caught_up_s']} s, "
                             f"{r['lost']} lost |")  # fmt: skip
    print("\n".join(lines))


if __name__ == "__main__":
    main()
