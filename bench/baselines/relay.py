"""A bare Channels consumer that relays the protocol subset through the layer.

    DJANGO_SETTINGS_MODULE=bench.baselines.relay_settings \\
        .venv/bin/python -m daphne -b 127.0.0.1 -p 8001 bench.baselines.relay:application
    .venv/bin/python -m uvicorn bench.baselines.relay:application --port 8001

(from the project root; `BENCH_LAYER`, `REDIS_URL` and `BENCH_LAYER_PREFIX`
choose the layer, see `relay_settings`). It does what Village's consumer does
on the way of a message (join a group, `group_send` to it, each member's
consumer writes the frame) and nothing else: no database, no auth, no
moderation, no shared store, so `seq` is null and ids come from a counter of
the process. The sender encodes the broadcast frame once and the event carries
that string, so members write it without decoding or re-encoding anything.
"""

from __future__ import annotations

import itertools
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baselines.relay_settings")
django.setup(set_prefix=False)

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402

from bench import baselines as protocol  # noqa: E402

MESSAGE_IDS = itertools.count(1)
ANONYMOUS_IDS = itertools.count(1)


def group(room: int) -> str:
    return f"room.{room}"


class RelayConsumer(AsyncWebsocketConsumer):
    """One socket: any path, anyone, identity from `?user=`."""

    async def connect(self) -> None:
        query = self.scope["query_string"].decode("latin-1")
        self.user = protocol.user_id(query, ANONYMOUS_IDS.__next__)
        self.rooms: set[int] = set()
        await self.accept()
        await self.send_frame(protocol.hello(self.user))

    async def disconnect(self, code: int) -> None:
        for room in self.rooms:
            await self.channel_layer.group_discard(group(room), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = protocol.parse(bytes_data if text_data is None else text_data)
        except protocol.BadFrame as error:
            await self.send_frame(error.as_frame())
            return
        match frame:
            case protocol.Join(room):
                await self.channel_layer.group_add(group(room), self.channel_name)
                self.rooms.add(room)
                await self.send_frame(protocol.joined(room))
            case protocol.Leave(room):
                await self.channel_layer.group_discard(group(room), self.channel_name)
                self.rooms.discard(room)
            case protocol.Send(room):
                payload = protocol.message(
                    message_id=next(MESSAGE_IDS), seq=None, author=self.user, send=frame
                )
                await self.send_frame(protocol.ack(payload))
                frame_text = protocol.encode(protocol.broadcast(payload))
                await self.channel_layer.group_send(
                    group(room), {"type": "room.frame", "frame": frame_text}
                )

    async def room_frame(self, event: dict[str, str]) -> None:
        """A broadcast from the layer, written as the sender encoded it."""
        await self.send(text_data=event["frame"])

    async def send_frame(self, frame: dict) -> None:
        await self.send(text_data=protocol.encode(frame))


application = ProtocolTypeRouter({"websocket": RelayConsumer.as_asgi()})
