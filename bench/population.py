"""Load accounts, rooms and 1:1 pairings, written straight to the bench database.

A load test needs thousands of logged-in people. Logging each in through the
login page would measure allauth's throttle and a password hash (about half
a second each), not chat; so the accounts get an unusable password and a
session row minted the way a login leaves it (the same three session keys
`django.contrib.auth.login` writes). Everything else on the path a socket
takes (the session lookup, the policy, the membership checks) is real.

Rows are bulk-inserted: 10,000 people take seconds, not minutes. Every run
uses a fresh tag, so runs never share people or rooms.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session as LoginSession
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import (
    MemberProfile,
    ReferralSource,
    Role,
    Stage,
    User,
    VolunteerRecord,
    VolunteerStatus,
)
from chat.models import Membership, Pairing, Room

BATCH = 2000


@dataclass(frozen=True)
class Person:
    id: int
    cookie: str  # the Cookie header of her logged-in browser


@dataclass(frozen=True)
class Group:
    id: int
    members: tuple[Person, ...]


def _people(tag: str, count: int, role: str) -> list[User]:
    password = make_password(None)  # unusable: nobody logs in with these
    users = [
        User(
            email=f"{tag}-{role}-{n}@load.invalid",
            display_name=f"{role[0].upper()}{n}",
            role=role,
            password=password,
        )
        for n in range(count)
    ]
    users = User.objects.bulk_create(users, batch_size=BATCH)
    if role == Role.MEMBER:
        MemberProfile.objects.bulk_create(
            [
                MemberProfile(
                    user=user,
                    stage=Stage.BABY,
                    baby_birth_date=date.today() - timedelta(days=90),
                    referral_source=ReferralSource.SELF,
                )
                for user in users
            ],
            batch_size=BATCH,
        )
    if role == Role.VOLUNTEER:
        # Active, with a DBS check in date: cleared to lead and be paired.
        VolunteerRecord.objects.bulk_create(
            [
                VolunteerRecord(
                    user=user,
                    status=VolunteerStatus.ACTIVE,
                    dbs_checked_on=date.today() - timedelta(days=30),
                    dbs_expires_on=date.today() + timedelta(days=3 * 365),
                )
                for user in users
            ],
            batch_size=BATCH,
        )
    return users


def _log_in(users: list[User]) -> list[Person]:
    """A session row per person, as `django.contrib.auth.login` would write it."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    expires = timezone.now() + timedelta(days=1)
    rows, people = [], []
    for user in users:
        store = store_class()
        key = store._get_new_session_key()
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        rows.append(
            LoginSession(session_key=key, session_data=store.encode(data), expire_date=expires)
        )
        people.append(Person(id=user.pk, cookie=f"{settings.SESSION_COOKIE_NAME}={key}"))
    LoginSession.objects.bulk_create(rows, batch_size=BATCH)
    return people


_tags = itertools.count()


def _analyze() -> None:
    """Fresh planner statistics after a bulk insert, as autovacuum keeps them in service.

    Without them PostgreSQL planned lookups in the grown tables (people,
    logins, memberships) as if they were still empty, and every send of the
    next scenario paid for it.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def new_tag(scenario: str) -> str:
    return f"{scenario}-{timezone.now():%H%M%S}-{next(_tags)}"


def groups(tag: str, *, rooms: int, size: int) -> list[Group]:
    """`rooms` always-open group rooms of `size` logged-in members each."""
    with transaction.atomic():
        made = _groups(tag, rooms=rooms, size=size)
    _analyze()
    return made


def _groups(tag: str, *, rooms: int, size: int) -> list[Group]:
    users = _people(tag, rooms * size, Role.MEMBER)
    people = _log_in(users)
    made = Room.objects.bulk_create(
        [Room(kind=Room.Kind.GROUP, name=f"{tag} room {n}", always_open=True) for n in range(rooms)]
    )
    Membership.objects.bulk_create(
        [
            Membership(room=room, user=user)
            for index, room in enumerate(made)
            for user in users[index * size : (index + 1) * size]
        ],
        batch_size=BATCH,
    )
    return [
        Group(id=room.pk, members=tuple(people[index * size : (index + 1) * size]))
        for index, room in enumerate(made)
    ]


def pairs(tag: str, *, count: int) -> list[Group]:
    """`count` active 1:1 pairings: a member and a volunteer (three pairings each)."""
    with transaction.atomic():
        made = _pairs(tag, count=count)
    _analyze()
    return made


def _pairs(tag: str, *, count: int) -> list[Group]:
    members = _people(tag, count, Role.MEMBER)
    volunteers = _people(tag, -(-count // settings.VILLAGE_MAX_ACTIVE_PAIRINGS), Role.VOLUNTEER)
    coordinator = _people(tag, 1, Role.COORDINATOR)[0]
    member_people, volunteer_people = _log_in(members), _log_in(volunteers)
    made = Room.objects.bulk_create(
        [Room(kind=Room.Kind.DIRECT, name=f"{tag} pair {n}") for n in range(count)]
    )
    per_volunteer = settings.VILLAGE_MAX_ACTIVE_PAIRINGS
    Pairing.objects.bulk_create(
        [
            Pairing(
                member=members[n],
                volunteer=volunteers[n // per_volunteer],
                room=room,
                created_by=coordinator,
            )
            for n, room in enumerate(made)
        ]
    )
    Membership.objects.bulk_create(
        [
            membership
            for n, room in enumerate(made)
            for membership in (
                Membership(room=room, user=members[n]),
                Membership(
                    room=room,
                    user=volunteers[n // per_volunteer],
                    role=Membership.Role.LEAD,
                ),
            )
        ],
        batch_size=BATCH,
    )
    return [
        Group(id=room.pk, members=(member_people[n], volunteer_people[n // per_volunteer]))
        for n, room in enumerate(made)
    ]


def people(tag: str, *, count: int) -> list[Person]:
    """`count` logged-in members in no room (idle sockets)."""
    with transaction.atomic():
        made = _log_in(_people(tag, count, Role.MEMBER))
    _analyze()
    return made
