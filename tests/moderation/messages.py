"""Messages the moderation tests send through the real send path."""

from __future__ import annotations

import uuid

from chat import services as chat_services

RED = "I want to end it all tonight"


def send(author, room_id, body):
    return chat_services.send_message(
        author=author, room_id=room_id, client_id=uuid.uuid4(), body=body
    )
