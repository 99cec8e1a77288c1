"""Shared test set-up: backing services, isolation, personas.

Locally with nothing set the suite runs on SQLite and the in-memory layer;
tests that need PostgreSQL, Redis or Chromium skip with a reason there, and
fail instead of skipping when `CI` is set.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.db import connection

from accounts.models import (
    MemberProfile,
    ReferralSource,
    Role,
    SafeguardingDetails,
    Stage,
    User,
    VolunteerRecord,
    VolunteerStatus,
)
from chat import services as chat_services

IN_CI = bool(os.environ.get("CI"))
# Redis keys of this run (rate limits, presence, channel layer) start here.
RUN_PREFIX = f"village-test-{uuid.uuid4().hex[:10]}"


def pytest_configure(config):
    # Fast hashing for personas; one PBKDF2 hash takes about half a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REDIS_PREFIX = RUN_PREFIX
    # Tests drive the periodic jobs themselves, with their own clock.
    settings.VILLAGE_PERIODIC_IN_WEB = False
    if settings.REDIS_URL:
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{RUN_PREFIX}:layer"
        settings.CACHES["default"]["KEY_PREFIX"] = f"{RUN_PREFIX}:cache"


def needs(reason: str) -> None:
    """Skip with a visible reason on a laptop; fail in CI, where nothing may skip."""
    if IN_CI:
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        needs("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        needs("needs Redis: set REDIS_URL=redis://...")


def flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{RUN_PREFIX}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def isolated_state():
    """Each test starts with empty caches (rate limits live there) and Redis keys."""
    from django.core.cache import cache

    if settings.REDIS_URL:
        flush_redis()
    else:
        cache.clear()
    yield
    import notify

    notify.drain()
    if settings.REDIS_URL:
        flush_redis()
    else:
        cache.clear()


# --- Personas -------------------------------------------------------------

PASSWORD = "correct horse battery staple"


def make_person(email: str, display_name: str, role: str, **extra) -> User:
    """A person; a volunteer comes cleared (active, DBS check in date) unless
    the test makes her otherwise."""
    user = User.objects.create_user(
        email=email, password=PASSWORD, display_name=display_name, role=role, **extra
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if role == Role.VOLUNTEER:
        VolunteerRecord.objects.create(
            user=user,
            status=VolunteerStatus.ACTIVE,
            dbs_checked_on=date.today() - timedelta(days=365),
            dbs_expires_on=date.today() + timedelta(days=2 * 365),
            languages=["en"],
        )
    return user


def make_member(email: str, display_name: str) -> User:
    user = make_person(email, display_name, Role.MEMBER)
    MemberProfile.objects.create(
        user=user,
        stage=Stage.BABY,
        baby_birth_date=date.today().replace(day=1),
        referral_source=ReferralSource.MIDWIFE,
    )
    SafeguardingDetails.objects.create(
        member=user,
        real_name=f"{display_name} Realname",
        phone="07700 900001",
        postcode="LS1 4AP",
        gp_practice="Park Surgery",
        emergency_contact_name="Pat Contact",
        emergency_contact_phone="07700 900002",
    )
    return user


def activate_totp(user: User) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


@pytest.fixture
def mum(db) -> User:
    return make_member("amy@example.net", "Amy")


@pytest.fixture
def other_mum(db) -> User:
    return make_member("beth@example.net", "Beth")


@pytest.fixture
def volunteer(db) -> User:
    return make_person("val@example.net", "Val", Role.VOLUNTEER)


@pytest.fixture
def coordinator(db) -> User:
    """A coordinator with TOTP set up, as every real coordinator must have."""
    user = make_person("cora@example.net", "Cora", Role.COORDINATOR)
    activate_totp(user)
    return user


@pytest.fixture
def coordinator_without_mfa(db) -> User:
    return make_person("cleo@example.net", "Cleo", Role.COORDINATOR)


@pytest.fixture
def site_admin(db) -> User:
    user = User.objects.create_superuser(email="ada@example.net", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    activate_totp(user)
    return user


@pytest.fixture
def other_volunteer(db) -> User:
    return make_person("vera@example.net", "Vera", Role.VOLUNTEER)


# --- Rooms, made through the services --------------------------------------


@pytest.fixture
def group_room(coordinator, mum, other_mum, volunteer):
    """Thursday group: Val leads, Amy and Beth are enrolled; no session open."""
    room = chat_services.create_room(actor=coordinator, name="Thursday group")
    chat_services.assign_lead(actor=coordinator, room_id=room.pk, volunteer=volunteer)
    chat_services.enrol_member(actor=coordinator, room_id=room.pk, member=mum)
    chat_services.enrol_member(actor=coordinator, room_id=room.pk, member=other_mum)
    return room


@pytest.fixture
def open_room(group_room, volunteer):
    chat_services.open_session(actor=volunteer, room_id=group_room.pk)
    return group_room


@pytest.fixture
def pairing(coordinator, mum, volunteer):
    return chat_services.pair(actor=coordinator, member=mum, volunteer=volunteer)


@pytest.fixture
def other_room(coordinator):
    """A group room nobody in the tests is enrolled in."""
    return chat_services.create_room(actor=coordinator, name="Other group", always_open=True)


@pytest.fixture(autouse=True)
def moderation_rules(request):
    """The default rules a migration loads, in every test that uses the database.

    A `transaction=True` test's flush wipes them, so they are put back; the
    staffed hours are set to all day so that tests do not depend on the clock
    (the off-hours tests set their own); every scanner cache is dropped.
    """
    from moderation import ruleset

    ruleset.forget()
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        request.getfixturevalue("db")
        from moderation.default_rules import DEFAULT_RULES
        from moderation.models import Rule, SiteSettings

        if not Rule.objects.exists():
            Rule.objects.bulk_create(
                Rule(
                    term=spec["term"],
                    category=spec["category"],
                    level=spec["level"],
                    action=spec.get("action", "default"),
                    exceptions=list(spec.get("exceptions", [])),
                    built_in=True,
                )
                for spec in DEFAULT_RULES
            )
        SiteSettings.objects.update_or_create(
            pk=SiteSettings.objects.values_list("pk", flat=True).first(),
            defaults={"staffed_hours": [[day, "00:00", "24:00"] for day in range(7)]},
        )
    yield
    ruleset.forget()


# Socket fixtures for every test folder (protocol, moderation, revocation).
from tests.sockets import fresh_realtime_state, sockets  # noqa: E402, F401
