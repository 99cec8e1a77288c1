"""docs/protocol.md documents every frame, event and error code the code has."""

import re
from pathlib import Path

from chat.protocol import FRAMES

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()
CODE = "\n".join(p.read_text() for p in (ROOT / "chat").glob("*.py"))


def test_every_client_frame_has_a_section_with_an_example():
    for kind in FRAMES:
        assert f"### `{kind}`" in PROTOCOL, kind
        assert f'"type": "{kind}"' in PROTOCOL, kind


def test_every_server_frame_the_consumer_sends_is_documented():
    sent = set(re.findall(r'"type": "([a-z_]+)"', (ROOT / "chat" / "consumers.py").read_text()))
    assert sent >= {"hello", "joined", "ack", "history", "revoked", "room_removed"}
    for kind in sent | {"message", "message_update", "error"}:  # the last: built by helpers
        assert f'"type": "{kind}"' in PROTOCOL, kind


def test_every_error_code_is_documented():
    codes = set(re.findall(r'(?:FrameError|ChatError)\(\s*"([a-z_]+)"', CODE))
    assert {"bad_frame", "invalid", "forbidden", "session_closed", "too_long"} <= codes
    for code in codes | {"unavailable", "server_error", "unknown_type"}:
        assert f"`{code}`" in PROTOCOL, code
