"""Message bodies show what they say (issue 14): nothing only invisible, nothing turned around.

Sent over a real socket, as a hostile client would: a body with no visible
character, or with a direction override, isolate or other hidden character,
gets `invalid` with plain words and nothing is stored or broadcast. Writing
that needs joiners (emoji sequences, Farsi) and the direction marks of
right-to-left text are published as sent.
"""

from __future__ import annotations

import json
import uuid

import pytest

from chat.models import Message
from chat.protocol import HIDDEN_CHARACTERS, NOTHING_TO_SEE, FrameError, parse_frame

pytestmark = pytest.mark.django_db(transaction=True)

INVISIBLE_ONLY = [
    "\u200b",
    "\u200b\u200c\u200d\u2060",
    "\ufeff\ufeff",
    "\u202e\u202c",
    "\u2066\u2069",
    "\u3164",  # Hangul filler
    "\u2800\u2800",  # braille blank
    "\u00ad",  # soft hyphen
    " \u200b\n\u200b ",
    "\U000e0041\U000e0042",  # tag characters: invisible text
    "\u034f\ufe0f",
]
WITH_HIDDEN = [
    "Meet me at \u202eevil\u202c, ok?",  # right-to-left override
    "I'm \u202afine\u202c",  # embedding
    "Call \u2066the team\u2069 later",  # isolate
    "\u2067reversed\u2069",
    "\u202dforced\u202c left to right",
    "ki\u200bll myself",  # zero-width space to slip past the rules
    "hello\u2060there",  # word joiner
    "tab\u0007bell",  # a control character
    "private\ue000use",
    "line\u2028separator",
    "Amy\u200d",  # a joiner that joins nothing
    "e\u200dm\u200dail",  # joiners between Latin letters
]
PUBLISHED_AS_SENT = [
    "Me and my girl 👩\u200d👧",  # ZWJ inside an emoji sequence
    "❤️\u200d🩹 healing",
    "👨🏽\u200d⚕️ saw the GP",  # skin tone, ZWJ, variation selector
    "Proud 🏳️\u200d🌈",
    "Go on 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",  # flag of Wales
    "می\u200cخواهم بخوابم",  # Farsi: ZWNJ is part of the spelling
    "سلام\u200f!",  # Arabic with a right-to-left mark for its punctuation
    "Plain words, with a new line\nand a tab\tas well",
    "Love you \U0001fa77",  # pink heart (Unicode 15): newer than some servers' tables
]


async def send(socket, room_id: int, body: str) -> tuple[str, dict]:
    client_id = str(uuid.uuid4())
    await socket.send({"type": "send", "room": room_id, "client_id": client_id, "body": body})
    while True:
        frame = await socket.receive(timeout=3)
        if frame["type"] in ("ack", "error"):
            return client_id, frame


def send_frame(body: str) -> str:
    return json.dumps({"type": "send", "room": 1, "client_id": str(uuid.uuid4()), "body": body})


@pytest.mark.parametrize(
    "body, detail",
    [(body, NOTHING_TO_SEE) for body in INVISIBLE_ONLY]
    + [(body, HIDDEN_CHARACTERS) for body in WITH_HIDDEN],
)
def test_the_protocol_refuses_invisible_and_hidden_bodies_in_plain_words(body, detail):
    frame = send_frame(body)
    with pytest.raises(FrameError) as refused:
        parse_frame(frame)
    assert refused.value.code == "invalid"
    assert refused.value.detail == detail
    assert refused.value.ref == json.loads(frame)["client_id"]


@pytest.mark.parametrize("body", PUBLISHED_AS_SENT)
def test_the_protocol_passes_writing_that_needs_joiners_or_marks(body):
    assert parse_frame(send_frame(body))["body"] == body


async def test_over_a_socket_nothing_invisible_or_hidden_is_stored_or_reaches_the_room(
    sockets, mum, other_mum, open_room
):
    amy, beth = await sockets(mum), await sockets(other_mum)
    await beth.join(open_room.pk)
    for body, detail in [(b, NOTHING_TO_SEE) for b in INVISIBLE_ONLY] + [
        (b, HIDDEN_CHARACTERS) for b in WITH_HIDDEN
    ]:
        client_id, answer = await send(amy, open_room.pk, body)
        assert answer == {"type": "error", "code": "invalid", "detail": detail, "ref": client_id}
    assert await beth.nothing_more(kinds=("message",))
    assert not await Message.objects.filter(room=open_room).aexists()
    # The socket stays open, and what she sends plainly is published.
    _, answer = await send(amy, open_room.pk, "Sent plainly")
    assert answer["type"] == "ack" and answer["status"] == "published"


async def test_over_a_socket_emoji_sequences_and_right_to_left_writing_are_published_as_sent(
    sockets, mum, open_room, settings
):
    settings.VILLAGE_SEND_RATE_COUNT = len(PUBLISHED_AS_SENT)  # one person sends them all
    amy = await sockets(mum)
    for body in PUBLISHED_AS_SENT:
        _, answer = await send(amy, open_room.pk, body)
        assert answer["type"] == "ack", (body, answer)
        assert answer["message"]["body"] == body
    stored = [
        m async for m in Message.objects.filter(room=open_room).values_list("body", flat=True)
    ]
    assert sorted(stored) == sorted(PUBLISHED_AS_SENT)
