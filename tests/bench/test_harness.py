"""The load harness measures what it says: every delivery counted once, losses seen.

The figures in docs/performance.md are only as good as the generator's
bookkeeping and its minted logins, so both are tested here: the ledger's
arithmetic on its own, and a small fan-out and 1:1 run against a real
daphne serving Village, where every message must arrive exactly once.
"""

from __future__ import annotations

import asyncio

import pytest

from bench import loadgen, population
from bench.run import ratios
from chat.models import Message
from tests.servers import DaphneServer


def test_ledger_counts_losses_duplicates_and_latency():
    ledger = loadgen.Ledger()
    ledger.sent("a", audience=3)
    ledger.sent("b", audience=2)
    at = ledger.sent_at["a"]
    for socket_id in (1, 2, 3):
        ledger.arrived("a", socket_id, at + 0.010)
    ledger.arrived("a", 2, at + 0.020)  # the same socket twice
    ledger.arrived("b", 1, at + 0.030)
    ledger.arrived("unknown", 1, at)  # sent before this ledger: ignored
    assert ledger.duplicates == 1
    assert ledger.lost == 1  # "b" never reached its second socket
    assert len(ledger.latencies) == 4


def test_percentiles_are_nearest_rank_in_milliseconds():
    samples = [n / 1000 for n in range(1, 101)]  # 1..100 ms
    figures = loadgen.percentiles(samples)
    assert figures == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    assert loadgen.percentiles([])["p99"] is None


def test_ratios_compare_village_with_each_baseline_at_the_same_load():
    rows = [
        {"target": "village", "rooms": 5, "p99": 30.0, "deliveries_per_s": 1000},
        {"target": "relay", "rooms": 5, "p99": 10.0, "deliveries_per_s": 1000},
        {"target": "websockets", "rooms": 5, "p99": 3.0, "deliveries_per_s": 2000},
        {"target": "relay", "rooms": 9, "p99": 10.0, "deliveries_per_s": 1000},
    ]
    assert ratios(rows, ("rooms",)) == [
        {
            "rooms": 5,
            "p99_x_relay": 3.0,
            "throughput_x_relay": 1.0,
            "p99_x_websockets": 10.0,
            "throughput_x_websockets": 0.5,
        }
    ]


@pytest.mark.django_db(transaction=True)
def test_a_small_load_run_against_village_delivers_everything_once(tmp_path):
    groups = population.groups(population.new_tag("harness"), rooms=2, size=4)
    pairs = population.pairs(population.new_tag("harness"), count=2)
    server = DaphneServer(
        mail_dir=tmp_path,
        log_path=tmp_path / "daphne.log",
        extra_env={"VILLAGE_SEND_RATE_COUNT": "1000"},
    ).start()
    try:
        ledger = asyncio.run(_drive(server, groups + pairs))
    finally:
        server.stop()
    stored = Message.objects.filter(room_id__in=[g.id for g in groups + pairs]).count()
    # 4 rooms, one message each every 0.1 s for 1 s (the minted logins worked,
    # the pairs' volunteers and members could both post).
    assert len(ledger.sent_at) == 40 == stored
    assert len(ledger.acked) == 40
    assert ledger.lost == 0
    assert ledger.duplicates == 0
    assert not ledger.errors
    assert len(ledger.latencies) == 2 * 10 * 4 + 2 * 10 * 2  # every member, every message


async def _drive(server: DaphneServer, groups: list[population.Group]) -> loadgen.Ledger:
    url, origin = f"ws://127.0.0.1:{server.port}/ws/chat/", server.url
    ledger = loadgen.Ledger()
    rooms = []
    for n, group in enumerate(groups):
        sockets = await loadgen.open_sockets(
            url, origin, [p.cookie for p in group.members], first_id=n * 100
        )
        await loadgen.join_all([(s, group.id) for s in sockets])
        for socket in sockets:
            socket.ledger = ledger
        rooms.append(loadgen.Room(group.id, sockets))
    await loadgen.drive(rooms, interval=0.1, seconds=1, ledger=ledger, body="Evening all")
    await loadgen.settle(ledger, timeout=10)
    await asyncio.gather(*(s.close() for room in rooms for s in room.sockets))
    return ledger
