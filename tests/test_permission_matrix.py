"""The permission matrix: every role and state x every room state x every action.

EXPECTED below is the one table of who may do what, read from DESIGN.md's
role table and SAFEGUARDING.md. One world is built; then, role by role, every
cell of her row is run (frames over the WebSocket, pages with Django's test
client), with the database checked for each action's effect, and compared with
the table. All mismatches are collected first, then reported together.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User, VolunteerRecord, VolunteerStatus
from audit.models import AuditEntry
from chat import services as chat_services
from chat.models import Message, Room
from chat.selectors import current_session
from infra.dbwork import executor
from moderation import services as moderation_services
from moderation.models import Flag, Level, Mute, Report
from tests.conftest import activate_totp, make_member, make_person
from tests.sockets import HOST, ORIGIN
from village.asgi import application
from volunteers import services as volunteers


def in_db_thread(fn):
    """Run test-side database work on the consumers' database threads (whose
    connections the `sockets` fixture closes), without their per-call deadline:
    building a role's world and a row of pages is many calls, not one."""
    return database_sync_to_async(fn, thread_sensitive=False, executor=executor())


# --- The table -----------------------------------------------------------------------
#
# Tokens: Y allowed; R allowed only with a stated reason (refused without one,
# audited with one); N refused (`forbidden`, 403, 404, sent to log in, socket
# refused); C `session_closed`; O `read_only`; M `muted`; - does not apply.
#
# Roles (who, in the world built below):
#   anonymous        nobody logged in
#   outsider         Olive, a member not enrolled in the group rooms (1:1 with Vera)
#   member           Amy, enrolled in both group rooms (1:1 with Val)
#   muted            Mia, enrolled, muted for an hour in both group rooms (1:1 with Val)
#   removed          Rose, enrolled, then removed from both group rooms (1:1 with Vera)
#   suspended        Sue, enrolled, account suspended (1:1 with Wendy)
#   lead             Val, lead volunteer of both group rooms (1:1 with Amy)
#   other_volunteer  Vera, a volunteer who leads neither group room (1:1 with Olive)
#   demoted          Dee, a volunteer who led both group rooms and ran a 1:1 with Nell,
#                    then made a member by a coordinator: a lead's place is for
#                    people who may lead, so she keeps none of it (a careful
#                    safeguarding lead's reading; a coordinator ends the pairing)
#   paused           Pia, a volunteer who leads both group rooms and runs a 1:1 with Prue,
#                    then paused by a coordinator (her places stay on paper until a
#                    handover; she may act in none of them, over HTTP as over the socket)
#   expired          Eve, the same, whose DBS check expired yesterday
#   applying         Ann, the same, whose record is back at "applying" (a record
#                    corrected by an admin): not cleared, so not a lead
#   coordinator      Cora (with MFA)
#   promoted         Pam, a member enrolled in both group rooms, made a coordinator
#                    (with MFA)
#   admin            Ada, a coordinator who is also a superuser (with MFA)
ROLES = (
    "anonymous",
    "outsider",
    "member",
    "muted",
    "removed",
    "suspended",
    "lead",
    "other_volunteer",
    "demoted",
    "paused",
    "expired",
    "applying",
    "coordinator",
    "promoted",
    "admin",
)

# Room states (columns): a group room with a session open; a group room with
# no session; her own 1:1 (a coordinator has none); someone else's 1:1 (Beth
# and Wendy); an ended 1:1 (hers, or Amy and Val's for those without one).
ROOM_STATES = ("open", "closed", "own", "others", "ended")

# Each target message is by someone else (Beth in group rooms, the other
# person of the 1:1), so "never on her own messages" does not apply here.
EXPECTED: dict[str, dict[str, str]] = {
    # --- over the WebSocket ---                open closed own others ended
    "join": {
        "anonymous": "N N - N N",
        "outsider": "N N Y N Y",
        "member": "Y Y Y N Y",
        "muted": "Y Y Y N Y",
        "removed": "N N Y N Y",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - R R",
        "promoted": "Y Y - R R",
        "admin": "Y Y - R R",
    },
    # Tried before joining; a coordinator's someone-else's-1:1 history needs
    # the socket to have joined it with a reason first.
    "history": {
        "anonymous": "N N - N N",
        "outsider": "N N Y N Y",
        "member": "Y Y Y N Y",
        "muted": "Y Y Y N Y",
        "removed": "N N Y N Y",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - R R",
        "promoted": "Y Y - R R",
        "admin": "Y Y - R R",
    },
    # Mia's mute is for the group rooms only: her 1:1 is not affected.
    "send": {
        "anonymous": "N N - N N",
        "outsider": "N N Y N O",
        "member": "Y C Y N O",
        "muted": "M C Y N O",
        "removed": "N N Y N O",
        "suspended": "N N N N N",
        "lead": "Y C Y N O",
        "other_volunteer": "N N Y N O",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y C - N N",
        "promoted": "Y C - N N",
        "admin": "Y C - N N",
    },
    # Typing is for people who may post there (no open session needed). A muted
    # member may not post, so a safeguarding lead would not let her show as
    # typing either (a hostile member "typing" at the room is its own pressure).
    "typing": {
        "anonymous": "N N - N N",
        "outsider": "N N Y N N",
        "member": "Y Y Y N N",
        "muted": "M M Y N N",
        "removed": "N N Y N N",
        "suspended": "N N N N N",
        "lead": "Y Y Y N N",
        "other_volunteer": "N N Y N N",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - N N",
        "promoted": "Y Y - N N",
        "admin": "Y Y - N N",
    },
    # For a coordinator outside the room the frame does nothing (protocol.md):
    # nothing is read or returned, so no reason is asked.
    "read": {
        "anonymous": "N N - N N",
        "outsider": "N N Y N Y",
        "member": "Y Y Y N Y",
        "muted": "Y Y Y N Y",
        "removed": "N N Y N Y",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
    # Reporting is a safety action: a mute stops posting, not reporting; a
    # member may report her own volunteer. A coordinator may report anywhere
    # she may act (it only raises a flag; nothing is returned).
    "report": {
        "anonymous": "N N - N N",
        "outsider": "N N Y N Y",
        "member": "Y Y Y N Y",
        "muted": "Y Y Y N Y",
        "removed": "N N Y N Y",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
    # Protective actions stay open to the room's staff after a planned ending:
    # the message was written while the chat was open, and nothing a mum
    # writes may be left undecided. Coordinators act on 1:1 messages from the
    # queue without opening the chat (the action itself is audited).
    "hide": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
    "release": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
    # `contact` holds are for coordinators to decide.
    "release_contact": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "N N N N N",
        "other_volunteer": "N N N N N",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
    # Sessions are for group rooms; 1:1 chats have none.
    "session_open": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "Y Y N N N",
        "other_volunteer": "N N N N N",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - N N",
        "promoted": "Y Y - N N",
        "admin": "Y Y - N N",
    },
    "session_close": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "Y Y N N N",
        "other_volunteer": "N N N N N",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - N N",
        "promoted": "Y Y - N N",
        "admin": "Y Y - N N",
    },
    # --- over HTTP ---
    # GET /rooms/<id>/; for someone else's 1:1 a coordinator gets the reason form.
    "page": {
        "anonymous": "N N - N N",
        "outsider": "N N Y N Y",
        "member": "Y Y Y N Y",
        "muted": "Y Y Y N Y",
        "removed": "N N Y N Y",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - R R",
        "promoted": "Y Y - R R",
        "admin": "Y Y - R R",
    },
    # POST /staff/queue/flags/<id>/<action>/ on the flag of the message.
    "hide_http": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
    "release_http": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
    "release_contact_http": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "N N N N N",
        "other_volunteer": "N N N N N",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
    # GET /staff/queue/ shows the flagged message of this room (with its context).
    "queue_read": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
    # POST /staff/queue/flags/<id>/acknowledge/: "I'm on it" silences the 5-minute
    # re-alert and lets a session close, so it is for those who may lead there now.
    "acknowledge_http": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
    "escalate_http": {
        "anonymous": "N N - N N",
        "outsider": "N N N N N",
        "member": "N N N N N",
        "muted": "N N N N N",
        "removed": "N N N N N",
        "suspended": "N N N N N",
        "lead": "Y Y Y N Y",
        "other_volunteer": "N N Y N Y",
        "demoted": "N N N N N",
        "paused": "N N N N N",
        "expired": "N N N N N",
        "applying": "N N N N N",
        "coordinator": "Y Y - Y Y",
        "promoted": "Y Y - Y Y",
        "admin": "Y Y - Y Y",
    },
}

# Actions that do not depend on a room: one token per role, in ROLES order.
# A paused, expired or applying volunteer still opens a socket (it shows her no
# rooms): her pages and rooms are closed to her, not her account.
#                     anon outs memb mute remo susp lead othv demo paus expi appl coor prom admin
ROOM_FREE: dict[str, str] = {
    "connect": "N Y Y Y Y N Y Y Y Y Y Y Y Y Y",
    "queue": "N N N N N N Y Y N N N N Y Y Y",  # GET /staff/queue/ (volunteers: their rooms')
    "concern": "N N N N N N Y Y N N N N Y Y Y",  # GET /concerns/new/ (it lists members)
    "audit": "N N N N N N N N N N N N Y Y Y",  # GET /staff/audit/
    "rules": "N N N N N N N N N N N N Y Y Y",  # GET /staff/moderation/rules/
    "resolve": "N N N N N N N N N N N N Y Y Y",  # POST .../sanction/resolve/
    "mute": "N N N N N N N N N N N N Y Y Y",  # POST .../sanction/mute/
    "change_role": "N N N N N N N N N N N N Y Y Y",  # POST /staff/people/<id>/
    "suspend": "N N N N N N N N N N N N Y Y Y",  # POST .../sanction/suspend/
}

# Cells where the code is known to differ from the table and the fix lies
# outside the policy modules: (role, action, room state) -> (what it does, why).
# Each is still run and printed; the test fails when one starts to match the
# table, so that the entry is removed.
KNOWN_GAPS: dict[tuple[str, str, str], tuple[str, str]] = {}

SOCKET_ACTIONS = (
    "join",
    "history",
    "send",
    "typing",
    "read",
    "report",
    "hide",
    "release",
    "release_contact",
    "session_open",
    "session_close",
)
HTTP_ACTIONS = (
    "page",
    "hide_http",
    "release_http",
    "release_contact_http",
    "queue_read",
    "acknowledge_http",
    "escalate_http",
)
assert set(EXPECTED) == set(SOCKET_ACTIONS) | set(HTTP_ACTIONS)


def expected_cell(action: str, role: str, state: str) -> str:
    return EXPECTED[action][role].split()[ROOM_STATES.index(state)]


def expected_free(action: str, role: str) -> str:
    return ROOM_FREE[action].split()[ROLES.index(role)]


def test_the_table_is_complete():
    """Every action has a row for every role, with one token per room state."""
    for action, rows in EXPECTED.items():
        assert set(rows) == set(ROLES), action
        for role, row in rows.items():
            assert len(row.split()) == len(ROOM_STATES), (action, role)
            assert set(row.split()) <= set("YRNCOM-"), (action, role)
    for action, row in ROOM_FREE.items():
        assert len(row.split()) == len(ROLES), action


# --- The world -------------------------------------------------------------------------
#
# Built once; every role then gets fresh target messages in each room (so one
# role's hide or release cannot answer for another's), a fresh person to
# sanction, and the rooms' sessions put back as the columns say.

MARKER = "matrix_marker"  # an unknown frame type: its error marks "all answered"
REASON = "Following up a flag from this chat"

# Seeded for each role in each room, by someone other than the role's person:
# name -> (status, category of its open flag or "" for none). They are written
# straight to the database, as the send path leaves them (screening itself is
# tested in tests/moderation/): holds for the volunteers carry a `hostility`
# flag, contact holds a `contact` one (coordinators decide those).
SEEDS = {
    "report": ("published", ""),
    "hide": ("published", "hostility"),
    "hide_http": ("published", "hostility"),
    "held": ("held", "hostility"),
    "held_http": ("held", "hostility"),
    "contact": ("held", "contact"),
    "contact_http": ("held", "contact"),
    "acknowledge_http": ("published", "hostility"),
    "escalate_http": ("published", "hostility"),
}
# Flags about the person each role tries to sanction, in the open group room.
FREE_SEEDS = {name: ("published", "hostility") for name in ("resolve", "mute", "suspend")}


@dataclass
class Place:
    room_id: int
    pairing_id: int | None = None
    # The client_id of the role's own `send` here.
    client_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    messages: dict[str, int] = field(default_factory=dict)
    flags: dict[str, int] = field(default_factory=dict)


@dataclass
class World:
    people: dict[str, User]
    groups: dict[str, int]  # "open"/"closed" -> room id
    own: dict[tuple[int, int], int]  # (member id, volunteer id) -> active pairing's room
    ended: dict[tuple[int, int], int]  # the same pair's ended pairing's room
    pairings: dict[int, int]  # room id -> pairing id


@dataclass
class Plan:
    """One role's row: who she is, where she acts, on what."""

    role: str
    user: User | None
    places: dict[str, Place]
    subject: User  # the person she tries to sanction and re-role
    free_flags: dict[str, int]
    http_seconds: float = 0.0


def _seed(room_id: int, author: User, seeds: dict[str, tuple[str, str]] = SEEDS) -> Place:
    room = Room.objects.get(pk=room_id)
    now = timezone.now()
    messages = []
    for name, (status, category) in seeds.items():
        seq = None
        if status == "published":
            room.last_seq += 1
            seq = room.last_seq
        body = (
            "ring me on 07911 123456"
            if category == "contact"
            else f"A message ({name}) in room {room_id}."
        )
        messages.append(
            Message(
                room=room,
                author=author,
                client_id=uuid.uuid4(),
                body=body,
                status=status,
                seq=seq,
                published_at=now if seq else None,
            )
        )
    Message.objects.bulk_create(messages)
    room.save(update_fields=["last_seq"])
    place = Place(room_id, messages={name: m.pk for name, m in zip(seeds, messages, strict=True)})
    flags = {
        name: Flag(
            source=Flag.Source.SCANNER,
            level=Level.AMBER,
            category=category,
            message=message,
            room_id=room_id,
            subject=author,
        )
        for (name, (_, category)), message in zip(seeds.items(), messages, strict=True)
        if category
    }
    Flag.objects.bulk_create(flags.values())
    place.flags = {name: flag.pk for name, flag in flags.items()}
    return place


PAIRS = (
    ("amy", "val"),
    ("olive", "vera"),
    ("mia", "val"),
    ("rose", "vera"),
    ("sue", "wendy"),
    ("nell", "dee"),
    ("prue", "pia"),
    ("gwen", "eve"),
    ("hope", "ann"),
)
ROLE_PERSON = {
    "anonymous": None,
    "outsider": "olive",
    "member": "amy",
    "muted": "mia",
    "removed": "rose",
    "suspended": "sue",
    "lead": "val",
    "other_volunteer": "vera",
    "demoted": "dee",
    "paused": "pia",
    "expired": "eve",
    "applying": "ann",
    "coordinator": "cora",
    "promoted": "pam",
    "admin": "ada",
}
OWN_PAIR = {
    "outsider": ("olive", "vera"),
    "member": ("amy", "val"),
    "muted": ("mia", "val"),
    "removed": ("rose", "vera"),
    "suspended": ("sue", "wendy"),
    "lead": ("amy", "val"),
    "other_volunteer": ("olive", "vera"),
    "demoted": ("nell", "dee"),
    "paused": ("prue", "pia"),
    "expired": ("gwen", "eve"),
    "applying": ("hope", "ann"),
}
LAPSED = ("pia", "eve", "ann")


def build_world(people: dict[str, User]) -> World:
    people = {
        **people,
        "olive": make_member("olive@example.net", "Olive"),
        "mia": make_member("mia@example.net", "Mia"),
        "rose": make_member("rose@example.net", "Rose"),
        "sue": make_member("sue@example.net", "Sue"),
        "wendy": make_person("wendy@example.net", "Wendy", Role.VOLUNTEER),
        "nell": make_member("nell@example.net", "Nell"),
        "dee": make_person("dee@example.net", "Dee", Role.VOLUNTEER),
        "pam": make_member("pam@example.net", "Pam"),
        **{
            name: make_member(f"{name}@example.net", name.title())
            for name in ("prue", "gwen", "hope")
        },
        **{
            name: make_person(f"{name}@example.net", name.title(), Role.VOLUNTEER)
            for name in LAPSED
        },
    }
    cora = people["cora"]
    groups = {}
    for state, name in (("open", "Thursday group"), ("closed", "Monday group")):
        room = chat_services.create_room(actor=cora, name=name, capacity=40)
        for lead in ("val", "dee", *LAPSED):
            chat_services.assign_lead(actor=cora, room_id=room.pk, volunteer=people[lead])
        for member in ("amy", "beth", "mia", "rose", "sue", "pam"):
            chat_services.enrol_member(actor=cora, room_id=room.pk, member=people[member])
        groups[state] = room.pk
    own, ended, pairings = {}, {}, {}
    for member, volunteer in (*PAIRS, ("beth", "wendy")):
        key = (people[member].pk, people[volunteer].pk)
        if (member, volunteer) in PAIRS:
            pairing = chat_services.pair(
                actor=cora, member=people[member], volunteer=people[volunteer]
            )
            chat_services.end_pairing(actor=cora, pairing_id=pairing.pk, note="planned ending")
            ended[key], pairings[pairing.room_id] = pairing.room_id, pairing.pk
        pairing = chat_services.pair(actor=cora, member=people[member], volunteer=people[volunteer])
        own[key], pairings[pairing.room_id] = pairing.room_id, pairing.pk
    for room_id in groups.values():
        moderation_services.mute_member(
            actor=cora, member=people["mia"], room_id=room_id, minutes=60, reason="cooling off"
        )
        chat_services.remove_from_room(
            actor=cora, room_id=room_id, person=people["rose"], reason="moved"
        )
    moderation_services.suspend_account(actor=cora, member=people["sue"], reason="matrix")
    for name, role in (("dee", Role.MEMBER), ("pam", Role.COORDINATOR)):
        volunteers.change_role(actor=cora, person=people[name], role=role, reason="matrix")
    activate_totp(people["pam"])
    # Cleared when she was given her places; not any more.
    volunteers.change_status(
        actor=cora, volunteer=people["pia"], status=VolunteerStatus.PAUSED, reason="a break"
    )
    yesterday = timezone.localdate() - timedelta(days=1)
    VolunteerRecord.objects.filter(user=people["eve"]).update(dbs_expires_on=yesterday)
    VolunteerRecord.objects.filter(user=people["ann"]).update(status=VolunteerStatus.APPLYING)
    for person in people.values():
        person.refresh_from_db()
    return World(people=people, groups=groups, own=own, ended=ended, pairings=pairings)


def prepare(world: World, role: str) -> Plan:
    """Fresh targets for `role`, and the group rooms' sessions as the columns say.

    Earlier rows' flags are resolved, so that each row's queue shows its own.
    """
    Flag.objects.filter(resolved_at__isnull=True).update(resolved_at=timezone.now())
    people = world.people
    val = people["val"]
    chat_services.open_session(actor=val, room_id=world.groups["open"])
    chat_services.close_session(actor=val, room_id=world.groups["closed"])
    user = people[ROLE_PERSON[role]] if ROLE_PERSON[role] else None
    pair = OWN_PAIR.get(role)

    def in_pair(rooms: dict[tuple[int, int], int], member: str, volunteer: str) -> Place:
        room_id = rooms[people[member].pk, people[volunteer].pk]
        # Targets are by the other person of the pair (by the member if she is not in it).
        author = people[volunteer] if people[member] == user else people[member]
        place = _seed(room_id, author)
        place.pairing_id = world.pairings[room_id]
        return place

    places = {state: _seed(world.groups[state], people["beth"]) for state in ("open", "closed")}
    if pair is not None:
        places["own"] = in_pair(world.own, *pair)
    places["others"] = in_pair(world.own, "beth", "wendy")
    places["ended"] = in_pair(world.ended, *(pair or ("amy", "val")))
    subject = make_member(f"tess.{role}@example.net", f"Tess {role}")
    chat_services.enrol_member(actor=people["cora"], room_id=world.groups["open"], member=subject)
    free_flags = _seed(world.groups["open"], subject, FREE_SEEDS).flags
    return Plan(role=role, user=user, places=places, subject=subject, free_flags=free_flags)


@pytest.fixture
def world(mum, other_mum, volunteer, other_volunteer, coordinator, site_admin):
    people = {
        "amy": mum,
        "beth": other_mum,
        "val": volunteer,
        "vera": other_volunteer,
        "cora": coordinator,
        "ada": site_admin,
    }
    return build_world(people)


# --- Running cells ------------------------------------------------------------------------

CODE_TOKENS = {
    "forbidden": "N",
    "session_closed": "C",
    "read_only": "O",
    "muted": "M",
}
ANSWERS = {"join": "joined", "history": "history", "send": "ack", "report": "reported"}


def token_for(code: str | None) -> str:
    """The table's token for a frame's outcome (an unexpected code stays as it is)."""
    return "Y" if code is None else CODE_TOKENS.get(code, code)


async def exchange(socket, frame: dict) -> tuple[dict | None, str | None]:
    """Send `frame`, then a marker: frames are answered in order, so the marker's
    error means every answer to `frame` has arrived. Returns (answer, error code)."""
    await socket.send(frame)
    await socket.send({"type": MARKER})
    ref = frame.get("client_id") or frame["type"]
    answer = code = None
    while True:
        got = await socket.receive(timeout=10)
        if got["type"] == "error" and got["ref"] == MARKER:
            return answer, code
        if got["type"] == "error" and got["ref"] == ref:
            code = got["code"]
        elif got["type"] == ANSWERS.get(frame["type"]):
            answer = got


def frame_for(action: str, place: Place, **extra) -> dict:
    room = place.room_id
    messages = place.messages
    return {
        "join": lambda: {"type": "join", "room": room, **extra},
        "history": lambda: {"type": "history", "room": room},
        "send": lambda: {
            "type": "send",
            "room": room,
            "client_id": place.client_id,
            "body": "Hello from the matrix",
        },
        "typing": lambda: {"type": "typing", "room": room},
        "read": lambda: {"type": "read", "room": room, "seq": 1},
        "report": lambda: {"type": "report", "message": messages["report"], "reason": "worried"},
        "hide": lambda: {"type": "hide", "message": messages["hide"]},
        "release": lambda: {"type": "release", "message": messages["held"]},
        "release_contact": lambda: {"type": "release", "message": messages["contact"]},
        "session_open": lambda: {"type": "session", "room": room, "action": "open"},
        "session_close": lambda: {"type": "session", "room": room, "action": "close"},
    }[action]()


def effect(
    action: str, place: Place, user: User | None, state: str, was_open: bool = False
) -> bool | None:
    """Whether the action's effect is in the database (None: nothing to look at).

    `was_open`: a session was open before a `session_close` was tried.
    """
    messages = place.messages
    if action == "send":
        return Message.objects.filter(author=user, client_id=place.client_id).exists()
    if action == "report":
        return Report.objects.filter(message_id=messages["report"], reporter=user).exists()
    if action in ("hide", "hide_http"):
        return Message.objects.get(pk=messages[action]).status == "hidden"
    held = {
        "release": "held",
        "release_http": "held_http",
        "release_contact": "contact",
        "release_contact_http": "contact_http",
    }
    if action in held:
        return Message.objects.get(pk=messages[held[action]]).status == "published"
    room = Room.objects.get(pk=place.room_id)
    if action == "session_open" and state == "closed":
        return current_session(room) is not None
    if action == "session_close" and was_open:
        return current_session(room) is None
    return None


def session_is_open(place: Place) -> bool:
    room = Room.objects.get(pk=place.room_id)
    return not room.is_direct and current_session(room) is not None


def judged(code: str | None, did: bool | None) -> str:
    """The cell's outcome: the database decides where it can (an error frame
    with the change made anyway is an allow; silence without it is a refusal)."""
    if did is None:
        return token_for(code)
    if did:
        return "Y"
    return token_for(code) if code is not None else "silently_ignored"


LATER = ("send", "report", "hide", "release", "release_contact")  # effects looked at per room


def effects(actions, place: Place, user: User | None, state: str) -> dict[str, bool | None]:
    return {action: effect(action, place, user, state) for action in actions}


async def socket_cells(socket, plan: Plan) -> dict[tuple[str, str], str]:
    results: dict[tuple[str, str], str] = {}
    for state, place in plan.places.items():
        answer, before_join = await exchange(socket, frame_for("history", place))
        answer, code = await exchange(socket, frame_for("join", place))
        if code == "reason_required":
            answer, code = await exchange(socket, frame_for("join", place, reason=REASON))
            audited = await AuditEntry.objects.filter(
                action="direct_chat_opened",
                actor=plan.user,
                reason=REASON,
                target_id=str(place.pairing_id),
            ).aexists()
            results["join", state] = "R" if answer and code is None and audited else "N"
        else:
            results["join", state] = token_for(code)
        if before_join == "reason_required":
            answer, code = await exchange(socket, frame_for("history", place))
            results["history", state] = "R" if answer and code is None else token_for(code)
        else:
            results["history", state] = token_for(before_join)
        codes = {}
        for action in SOCKET_ACTIONS[2:]:
            was_open = action == "session_close" and await in_db_thread(session_is_open)(place)
            answer, codes[action] = await exchange(socket, frame_for(action, place))
            if action in LATER:
                continue
            did = None
            if action.startswith("session"):
                did = await in_db_thread(effect)(action, place, plan.user, state, was_open)
            results[action, state] = judged(codes[action], did)
        later = await in_db_thread(effects)(LATER, place, plan.user, state)
        for action, did in later.items():
            results[action, state] = judged(codes[action], did)
        await exchange(socket, {"type": "leave", "room": place.room_id})
    return results


def service_cells(plan: Plan) -> dict[tuple[str, str], str]:
    """For a person whose socket is refused: the services the consumer would call
    must refuse her too (a socket that outlived its login is no way in)."""
    user = plan.user
    results = {}
    for state, place in plan.places.items():
        room, messages = place.room_id, place.messages
        calls = {
            "join": partial(chat_services.join_room, user=user, room_id=room, after_seq=None),
            "history": partial(
                chat_services.history,
                user=user,
                room_id=room,
                before_seq=None,
                after_seq=None,
                limit=50,
            ),
            "send": partial(
                chat_services.send_message,
                author=user,
                room_id=room,
                client_id=place.client_id,
                body="Hello",
            ),
            "typing": None,  # the consumer alone decides typing: no socket, no typing
            "read": partial(chat_services.mark_read, user=user, room_id=room, seq=1),
            "report": partial(
                chat_services.report,
                reporter=user,
                message_id=messages["report"],
                reason="worried",
            ),
            "hide": partial(chat_services.hide_message, actor=user, message_id=messages["hide"]),
            "release": partial(
                chat_services.release_held_message, actor=user, message_id=messages["held"]
            ),
            "release_contact": partial(
                chat_services.release_held_message, actor=user, message_id=messages["contact"]
            ),
            "session_open": partial(chat_services.open_session, actor=user, room_id=room),
            "session_close": partial(chat_services.close_session, actor=user, room_id=room),
        }
        for action in SOCKET_ACTIONS:
            call = calls[action]
            if call is None:
                results[action, state] = "N"
                continue
            was_open = session_is_open(place)
            try:
                call()
                code = None
            except chat_services.ChatError as error:
                code = error.code
            except PermissionDenied:
                code = "forbidden"
            results[action, state] = judged(code, effect(action, place, user, state, was_open))
    return results


def http_cells(plan: Plan) -> dict[tuple[str, str], str]:
    client = Client()
    if plan.user is not None:
        client.force_login(plan.user)
    results: dict[tuple[str, str], str] = {}
    queue = client.get("/staff/queue/")
    on_the_queue = queue.content.decode() if queue.status_code == 200 else ""
    for state, place in plan.places.items():
        flagged = Message.objects.get(pk=place.messages["acknowledge_http"]).body
        results["queue_read", state] = "Y" if flagged in on_the_queue else "N"
        url = f"/rooms/{place.room_id}/"
        response = client.get(url)
        templates = {t.name for t in response.templates or ()}
        if response.status_code == 200 and "chat/room.html" in templates:
            results["page", state] = "Y"
        elif response.status_code == 200 and "chat/open_direct_chat.html" in templates:
            again = client.post(url, {"reason": REASON})
            shown = {t.name for t in again.templates or ()}
            results["page", state] = (
                "R" if again.status_code == 200 and "chat/room.html" in shown else "N"
            )
        else:
            assert response.status_code in (302, 403, 404), (state, response.status_code)
            results["page", state] = "N"
        for action, verb, seed in (
            ("hide_http", "hide", "hide_http"),
            ("release_http", "release", "held_http"),
            ("release_contact_http", "release", "contact_http"),
        ):
            response = client.post(f"/staff/queue/flags/{place.flags[seed]}/{verb}/")
            assert response.status_code in (302, 403, 404), (action, response.status_code)
            results[action, state] = "Y" if effect(action, place, plan.user, state) else "N"
        for action, verb, data, done in (
            ("acknowledge_http", "acknowledge", {}, "acknowledged_at"),
            ("escalate_http", "escalate", {"note": "please look"}, "escalated_at"),
        ):
            flag_id = place.flags[action]
            response = client.post(f"/staff/queue/flags/{flag_id}/{verb}/", data)
            assert response.status_code in (302, 403, 404), (action, response.status_code)
            did = Flag.objects.filter(pk=flag_id, **{f"{done}__isnull": False}).exists()
            results[action, state] = "Y" if did else "N"

    subject = plan.subject
    for action, url in (
        ("queue", "/staff/queue/"),
        ("concern", "/concerns/new/"),
        ("audit", "/staff/audit/"),
        ("rules", "/staff/moderation/rules/"),
    ):
        response = client.get(url)
        results[action, "-"] = "Y" if response.status_code == 200 else "N"
    flags = plan.free_flags
    sanction = "/staff/queue/flags/{}/sanction/{}/"
    client.post(
        sanction.format(flags["resolve"], "resolve"),
        {"outcome": "no_action", "note": "checked", "verdict": "right"},
    )
    resolved = Flag.objects.get(pk=flags["resolve"]).resolved_at is not None
    results["resolve", "-"] = "Y" if resolved else "N"
    client.post(
        sanction.format(flags["mute"], "mute"), {"scope": "room", "minutes": "60", "reason": "x"}
    )
    muted = plan.user is not None and Mute.objects.filter(user=subject, created_by=plan.user)
    results["mute", "-"] = "Y" if muted and muted.exists() else "N"
    client.post(f"/staff/people/{subject.pk}/", {"role": "volunteer", "reason": "trained"})
    subject.refresh_from_db()
    results["change_role", "-"] = "Y" if subject.role == Role.VOLUNTEER else "N"
    client.post(sanction.format(flags["suspend"], "suspend"), {"reason": "matrix"})
    subject.refresh_from_db()
    results["suspend", "-"] = "N" if subject.is_active else "Y"
    return results


async def connect(plan: Plan, sockets):
    """(the connect cell, an open socket or None)."""
    if plan.user is None:
        communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[ORIGIN, HOST])
        connected, _ = await communicator.connect(timeout=5)
        hello = None
        if connected:
            hello = json.loads(await communicator.receive_from(timeout=5))
        await communicator.disconnect()
        return ("Y" if hello and hello["type"] == "hello" else "N"), None
    socket = await sockets(plan.user)
    return ("N", None) if socket is None else ("Y", socket)


# --- The test ------------------------------------------------------------------------------

RANK = {"Y": 2, "R": 1}


async def run_row(plan: Plan, sockets) -> dict[tuple[str, str], str]:
    actual: dict[tuple[str, str], str] = {}
    actual["connect", "-"], socket = await connect(plan, sockets)
    if socket is not None:
        actual.update(await socket_cells(socket, plan))
        await socket.communicator.disconnect()
    elif plan.user is not None:
        actual.update(await in_db_thread(service_cells)(plan))
    else:
        # Nobody logged in: no socket, so no frame can be sent at all.
        actual.update({(a, s): "N" for a in SOCKET_ACTIONS for s in plan.places})
    loop = asyncio.get_running_loop()
    started = loop.time()
    actual.update(await in_db_thread(http_cells)(plan))
    plan.http_seconds = loop.time() - started
    return actual


def compare(role: str, actual: dict[tuple[str, str], str], mismatches) -> int:
    """File each cell that differs from the table; returns the number of cells."""
    cells = 0
    for action in (*EXPECTED, *ROOM_FREE):
        for state in ROOM_STATES if action in EXPECTED else ("-",):
            want = (
                expected_cell(action, role, state)
                if action in EXPECTED
                else expected_free(action, role)
            )
            if want == "-":
                assert (action, state) not in actual, (role, action, state)
                continue
            cells += 1
            got = actual[action, state]
            known = KNOWN_GAPS.get((role, action, state))
            if known is not None:
                print(f"  known gap: {role} / {action} / {state}: got {got}; {known[1]}")
                mismatches["fixed"].extend(
                    [] if got == known[0] else [f"{role} / {action} / {state}: now {got}"]
                )
                continue
            if got == want:
                continue
            line = f"{role} / {action} / {state}: table says {want}, got {got}"
            if RANK.get(got, 0) > RANK.get(want, 0):
                mismatches["allow"].append(line)
            elif RANK.get(got, 0) < RANK.get(want, 0):
                mismatches["deny"].append(line)
            else:
                mismatches["code"].append(line)
    return cells


@pytest.mark.django_db(transaction=True)
async def test_permission_matrix(world, sockets):
    """Every cell of every role's row answers as the table says."""
    loop = asyncio.get_running_loop()
    mismatches: dict[str, list[str]] = {"allow": [], "deny": [], "code": [], "fixed": []}
    cells = 0
    for role in ROLES:
        started = loop.time()
        plan = await in_db_thread(prepare)(world, role)
        before = {kind: len(lines) for kind, lines in mismatches.items()}
        row = compare(role, await run_row(plan, sockets), mismatches)
        cells += row
        new = {kind: len(lines) - before[kind] for kind, lines in mismatches.items()}
        print(
            f"permission matrix [{role}]: {row} cells, {new['allow']} unexpected allows, "
            f"{new['deny']} unexpected denies ({loop.time() - started:.1f} s, "
            f"{plan.http_seconds:.1f} s of it over HTTP)"
        )
    print(
        f"permission matrix: {cells} cells, {len(mismatches['allow'])} unexpected allows, "
        f"{len(mismatches['deny'])} unexpected denies, {len(mismatches['code'])} refusals "
        f"with another code, {len(KNOWN_GAPS)} known gaps"
    )
    for kind, lines in mismatches.items():
        for line in lines:
            print(f"  {kind}: {line}")
    assert mismatches == {"allow": [], "deny": [], "code": [], "fixed": []}
