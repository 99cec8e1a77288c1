"""Admission control: a process works on a few handshakes at once, queues some, refuses the rest.

The gate sits outside authentication, so a refused handshake costs nothing;
admitted ones go in order as earlier ones are accepted or refused.
"""

from __future__ import annotations

import asyncio

from django.test import override_settings

from infra.handshakes import HandshakeGate


class Handshake:
    """One client's handshake through the gate, against an app that waits to be told."""

    def __init__(self, gate: HandshakeGate, name: str):
        self.sent: list[dict] = []
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.inbox.put_nowait({"type": "websocket.connect"})
        scope = {"type": "websocket", "name": name}
        self.task = asyncio.create_task(gate(scope, self.inbox.get, self.send))

    async def send(self, message: dict) -> None:
        self.sent.append(message)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


@override_settings(VILLAGE_HANDSHAKES_AT_ONCE=1, VILLAGE_HANDSHAKES_IN_LINE=1)
async def test_the_gate_admits_one_queues_one_and_refuses_the_rest():
    started: list[str] = []
    decide: dict[str, asyncio.Future] = {}

    async def app(scope, receive, send):
        name = scope["name"]
        started.append(name)
        await receive()
        decide[name] = asyncio.get_running_loop().create_future()
        await send({"type": await decide[name]})
        await receive()  # the socket lives on after its handshake

    gate = HandshakeGate(app)
    shakes = []
    for name in ("first", "second", "third"):
        shake = Handshake(gate, name)
        shakes.append(shake)
        await settle()
    first, second, third = shakes

    # Only "first" reached the app; "third" was refused at the gate.
    assert started == ["first"]
    assert third.task.done()
    assert third.sent == [{"type": "websocket.close"}]

    # "second" waits until "first" has been answered.
    assert not second.sent and "second" not in decide
    decide["first"].set_result("websocket.accept")
    await settle()
    assert first.sent == [{"type": "websocket.accept"}]
    assert "second" in decide, "the next handshake starts once the first is accepted"

    # A refusal frees the slot too, and a finished socket never holds one.
    decide["second"].set_result("websocket.close")
    await settle()
    fourth = Handshake(gate, "fourth")
    await settle()
    assert "fourth" in decide
    for shake in (first, second, fourth):
        shake.inbox.put_nowait({"type": "websocket.disconnect"})
    decide["fourth"].set_result("websocket.accept")
    await asyncio.gather(first.task, second.task, fourth.task, third.task)


async def test_http_passes_straight_through():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    await HandshakeGate(app)({"type": "http"}, None, None)
    assert seen == ["http"]


@override_settings(VILLAGE_HANDSHAKES_AT_ONCE=1, VILLAGE_HANDSHAKES_IN_LINE=10)
async def test_a_client_that_leaves_while_waiting_costs_no_work_and_no_slot():
    started: list[str] = []
    accept_first = asyncio.get_running_loop().create_future()

    async def app(scope, receive, send):
        started.append(scope["name"])
        assert (await receive())["type"] == "websocket.connect"
        if scope["name"] == "first":
            await accept_first
        await send({"type": "websocket.accept"})

    gate = HandshakeGate(app)
    first = Handshake(gate, "first")
    await settle()
    leaver = Handshake(gate, "leaver")
    await settle()
    leaver.inbox.put_nowait({"type": "websocket.disconnect", "code": 1006})
    await settle()
    assert leaver.task.done() and leaver.sent == []
    accept_first.set_result(None)
    last = Handshake(gate, "last")
    await asyncio.gather(first.task, last.task)
    assert started == ["first", "last"], "the leaver never reached the app"
    assert last.sent == [{"type": "websocket.accept"}]
