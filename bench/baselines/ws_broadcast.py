"""The ceiling of Python: a broadcast server in plain asyncio and `websockets`.

    .venv/bin/python -m bench.baselines.ws_broadcast --host 127.0.0.1 --port 8765

Speaks the protocol subset of `bench.baselines` from memory: a room is a set
of connections, message ids and each room's seq are counters. A broadcast is
encoded once and written to every member with `websockets.broadcast()`, which
never waits for a client, so a slow reader only grows its own buffer.
Per-message compression is off, as in daphne (which serves Village), so that
the comparison measures the servers and not zlib. Runs on uvloop when it is
installed (`--no-uvloop` to compare against the standard loop).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
from collections import defaultdict
from urllib.parse import urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from bench import baselines as protocol

try:
    import uvloop
except ImportError:  # optional: the standard loop works, only slower
    uvloop = None


class Hub:
    """The rooms and counters every connection of the process shares."""

    def __init__(self) -> None:
        self.rooms: defaultdict[int, set[ServerConnection]] = defaultdict(set)
        self.seqs: defaultdict[int, int] = defaultdict(int)
        self.message_ids = itertools.count(1)
        self.anonymous_ids = itertools.count(1)

    async def serve(self, connection: ServerConnection) -> None:
        """One connection, from its hello until it closes."""
        query = urlsplit(connection.request.path).query
        user = protocol.user_id(query, self.anonymous_ids.__next__)
        joined: set[int] = set()
        try:
            await connection.send(protocol.encode(protocol.hello(user)))
            async for data in connection:
                await self.handle(connection, user, joined, data)
        except ConnectionClosed:
            pass  # a client that drops without a close frame is no server error
        finally:
            for room in joined:
                self.leave(connection, room)

    async def handle(
        self, connection: ServerConnection, user: int, joined: set[int], data: str | bytes
    ) -> None:
        try:
            frame = protocol.parse(data)
        except protocol.BadFrame as error:
            await connection.send(protocol.encode(error.as_frame()))
            return
        match frame:
            case protocol.Join(room):
                self.rooms[room].add(connection)
                joined.add(room)
                await connection.send(protocol.encode(protocol.joined(room)))
            case protocol.Leave(room):
                self.leave(connection, room)
                joined.discard(room)
            case protocol.Send(room):
                self.seqs[room] += 1
                payload = protocol.message(
                    message_id=next(self.message_ids),
                    seq=self.seqs[room],
                    author=user,
                    send=frame,
                )
                await connection.send(protocol.encode(protocol.ack(payload)))
                broadcast(self.rooms.get(room, ()), protocol.encode(protocol.broadcast(payload)))

    def leave(self, connection: ServerConnection, room: int) -> None:
        members = self.rooms.get(room)
        if members is None:
            return
        members.discard(connection)
        if not members:
            del self.rooms[room]


async def run(host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT, then close every connection (1001)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with serve(Hub().serve, host, port, compression=None):
        loop_name = type(loop).__module__.split(".")[0]  # uvloop or asyncio
        print(f"listening on ws://{host}:{port} ({loop_name})", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--uvloop",
        action=argparse.BooleanOptionalAction,
        default=uvloop is not None,
        help="run on uvloop (default: on when installed)",
    )
    args = parser.parse_args()
    if args.uvloop and uvloop is None:
        parser.error("--uvloop: uvloop is not installed")
    loop_factory = uvloop.new_event_loop if args.uvloop else None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(run(args.host, args.port))


if __name__ == "__main__":
    main()
