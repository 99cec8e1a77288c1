"""Demo rooms for `seed_demo`: a group with an open session and a 1:1 pairing.

Idempotent: rooms are found by name, and messages are sent through the
normal service with fixed client_ids, so a second run adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import time

from chat import services
from chat.models import Membership, Pairing, Room, ScheduleSlot

GROUP_NAME = "Thursday evening group"
DEMO_NAMESPACE = uuid.UUID("6f0d6a52-0c1e-4b7a-9a51-5d1f4f2a7c10")

GROUP_MESSAGES = [
    ("Val", "Hello everyone, and welcome. Grab a cuppa if you can. How has your week been?"),
    ("Amy", "Hi all. Tired, honestly. Baby was up every two hours last night."),
    ("Beth", "Same here. It helps knowing I'm not the only one awake at 3am."),
    ("Val", "You're really not. Those nights are so hard. Be gentle with yourselves."),
]
DIRECT_MESSAGES = [
    ("Val", "Hi Amy, it's Val. I'm glad we're paired. How are you feeling today?"),
    ("Amy", "Hi Val. A bit better than last week, I think. Thank you for checking in."),
]


def seed_demo_rooms(people: dict[str, object]) -> None:
    cora, val, amy, beth = people["Cora"], people["Val"], people["Amy"], people["Beth"]
    room = Room.objects.filter(name=GROUP_NAME, kind=Room.Kind.GROUP).first()
    if room is None:
        room = services.create_room(
            actor=cora,
            name=GROUP_NAME,
            description="A relaxed weekly chat for mums, led by Val.",
            capacity=10,
            schedule=[(ScheduleSlot.Weekday.THURSDAY, time(19, 30), 90)],
        )
    if not room.memberships.filter(user=val, role=Membership.Role.LEAD, removed_at=None).exists():
        services.assign_lead(actor=cora, room_id=room.pk, volunteer=val)
    for mum in (amy, beth):
        if not room.memberships.filter(user=mum, removed_at=None).exists():
            services.enrol_member(actor=cora, room_id=room.pk, member=mum)
    services.open_session(actor=val, room_id=room.pk)
    _send(room, GROUP_MESSAGES, people)

    pairing = Pairing.objects.filter(member=amy, volunteer=val, ended_at=None).first()
    if pairing is None:
        pairing = services.pair(actor=cora, member=amy, volunteer=val)
    _send(pairing.room, DIRECT_MESSAGES, people)


def _send(room: Room, script: list[tuple[str, str]], people: dict[str, object]) -> None:
    for number, (name, body) in enumerate(script):
        services.send_message(
            author=people[name],
            room_id=room.pk,
            client_id=uuid.uuid5(DEMO_NAMESPACE, f"{room.name}/{number}"),
            body=body,
        )
