"""Shared test set-up: backing services, isolation, personas.

Locally with nothing set the suite runs on SQLite and the in-memory layer;
tests that need PostgreSQL, Redis or Chromium skip with a reason there, and
fail instead of skipping when `CI` is set.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.management.sql import sql_flush as django_sql_flush
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
# Tests that are not about the model get one that scores only the phrases in
# this file (moderation.risk_model.ScriptedModel), here and in the servers
# they start; tests/moderation/test_risk_model.py has the real one.
SCRIPTED_MODEL = f"scripted:{Path(__file__).parent / 'moderation' / 'scripted_model.json'}"
# Redis keys of this run (rate limits, presence, channel layer) start here.
RUN_PREFIX = f"village-test-{uuid.uuid4().hex[:10]}"


def pytest_configure(config):
    # Fast hashing for personas; one PBKDF2 hash takes about half a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REDIS_PREFIX = RUN_PREFIX
    # Tests drive the periodic jobs themselves, with their own clock.
    settings.VILLAGE_PERIODIC_IN_WEB = False
    settings.VILLAGE_RISK_MODEL = SCRIPTED_MODEL
    os.environ["VILLAGE_RISK_MODEL"] = SCRIPTED_MODEL
    # The rules and the model in the send transaction, here and in the servers
    # the tests start; the tests of the two stages (tests/chat/test_screening_stages.py,
    # tests/browser/test_screening.py) turn stage 2 on.
    settings.VILLAGE_SCREENING_STAGES = 1
    os.environ["VILLAGE_SCREENING_STAGES"] = "1"
    # A service's own retrained model (var/risk-model) never leaks into a run.
    local_models = tempfile.mkdtemp(prefix="village-test-local-model-")
    settings.VILLAGE_LOCAL_MODEL_DIR = local_models
    os.environ["VILLAGE_LOCAL_MODEL_DIR"] = local_models
    if settings.REDIS_URL:
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{RUN_PREFIX}:layer"
        settings.CACHES["default"]["KEY_PREFIX"] = f"{RUN_PREFIX}:cache"


# --- Running on several workers (pytest-xdist, `make test`) -------------------

# Tests with deadlines of a second or two, or that kill or freeze a backing
# service, run one after another on one worker (`--dist loadgroup`), so that
# they never share it with each other.
SERIAL_GROUP = "timing"
SERIAL_MODULES = (
    "tests/chat/test_revocation.py",
    "tests/chat/test_flooding.py",
    "tests/chat/test_redis_faults.py",
    "tests/chat/test_soak.py",
    "tests/chat/test_screening_stages.py",
    "tests/chat/test_volunteer_clearance.py",
    "tests/test_faults_postgres.py",
)
# On several workers the slowest modules start first (a long test picked up
# last would leave the other worker idle at the end); the serial group is the
# longest unit and xdist hands it out first by itself.
SLOW_FIRST = (
    "tests/browser/test_script_injection.py",
    "tests/chat/test_hostile_frames.py",
    "tests/test_permission_matrix.py",
    "tests/chat/test_scale_out.py",
    "tests/chat/test_demo_session.py",
    "tests/test_client_address.py",
    "tests/chat/test_delivery.py",
    "tests/browser/",
    "tests/test_health.py",
)


def _module_path(item) -> str:
    return item.nodeid.split("::", 1)[0]


def pytest_itemcollected(item):
    if _module_path(item) in SERIAL_MODULES:
        item.add_marker(pytest.mark.xdist_group(SERIAL_GROUP))


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """`--dist loadgroup` with SERIAL_MODULES as one group, by their paths.

    xdist 3.8 finds a test's group by renaming it `nodeid@group` on the
    worker, which pytest 9 no longer allows (the name stays, the marker is
    lost): the controller groups by the path instead.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class SerialGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            if nodeid.split("::", 1)[0] in SERIAL_MODULES:
                return SERIAL_GROUP
            return super()._split_scope(nodeid)

    return SerialGroupScheduling(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """On xdist workers, put the slow modules first.

    After pytest-django's own order (database tests, then transactional, then
    the rest), which a single process keeps. Every worker sorts the same way,
    so they agree on the collection.
    """
    if not hasattr(config, "workerinput"):
        return

    def rank(item) -> int:
        path = _module_path(item)
        if path in SERIAL_MODULES:
            return 0
        for number, prefix in enumerate(SLOW_FIRST, start=1):
            if path.startswith(prefix):
                return number
        return len(SLOW_FIRST) + 1

    items.sort(key=rank)  # stable: each module keeps its own order


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


# The rule tables, and a one-row table (outside Django's) that triggers on
# them mark when a statement changed them (watch_rules).
RULE_TABLES = frozenset({"moderation_rule", "moderation_rule_rooms"})
RULES_TOUCHED = "test_rules_touched"
# Tables whose rows a DELETE may not remove (the audit log's append-only
# trigger, moderation 0002): the flush truncates them, which it allows.
APPEND_ONLY_TABLES = frozenset({"moderation_auditentry"})


def quick_sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
    """`flush`'s SQL on PostgreSQL: DELETE the rows of the tables that have any.

    Django truncates every table, and TRUNCATE makes new files for each table
    and index: about 0.7 s on this 2-core machine after every
    `transaction=True` test, most of the cost of the socket tests. A DELETE of
    a few rows takes well under a millisecond. Foreign keys are deferred
    (Django makes them DEFERRABLE INITIALLY DEFERRED), so the order does not
    matter; they are checked when the flush commits. Sequences are left as
    they are, as Django's own flush does for tests.

    The default rules stay when no statement has touched them since they were
    put back (watch_rules): writing the 1,700 of them again took half a second.
    """
    if connection.vendor != "postgresql" or reset_sequences:
        return django_sql_flush(style, connection, reset_sequences, allow_cascade)
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    if not tables:
        return []
    quote = connection.ops.quote_name
    probe = " UNION ALL ".join(
        f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})" for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(probe, tables)
        filled = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT touched FROM {RULES_TOUCHED}")
        (touched,) = cursor.fetchone()
    if not touched:
        # Still the default rules the next test would put back: they stay.
        filled = [table for table in filled if table not in RULE_TABLES]
    return [
        f"TRUNCATE {quote(table)};"
        if table in APPEND_ONLY_TABLES
        else f"DELETE FROM {quote(table)};"
        for table in filled
    ]


@pytest.fixture(scope="session", autouse=True)
def quick_flush():
    """A `transaction=True` test's flush empties only the tables with rows
    (quick_sql_flush), and does not re-create content types and permissions
    (Django's post_migrate receivers, the only ones here).

    Nothing in Village reads permissions (roles and policy.py decide), and a
    content type is made again on first use (the admin's log), once the cache
    of the flushed ones is dropped. Re-creating them (41 content types, 164
    permissions) took 114 queries after every such test.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.commands import flush

    def forget_content_types(verbosity, interactive, db, **kwargs) -> None:
        ContentType.objects.clear_cache()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flush, "emit_post_migrate_signal", forget_content_types)
        patch.setattr(flush, "sql_flush", quick_sql_flush)
        yield


# --- The moderation rules -----------------------------------------------------


def rules_key() -> str:
    """A digest of everything the rule set is built from: the rules (every
    column but `updated_at`), their rooms and the site settings.

    Read with the same connection `ruleset._build` is about to use, so a test
    that edits, adds, scopes or disables a rule gets a build of its own.
    """
    from moderation.models import Rule, SiteSettings

    def columns(model) -> list[str]:
        return [f.attname for f in model._meta.concrete_fields if f.name != "updated_at"]

    content = (
        list(Rule.objects.order_by("pk").values_list(*columns(Rule))),
        list(Rule.rooms.through.objects.order_by("pk").values_list("rule_id", "room_id")),
        # Not its key: a flush makes the one settings row again under a new
        # one, and the rule set does not depend on it.
        list(
            SiteSettings.objects.order_by("pk").values_list(
                *[c for c in columns(SiteSettings) if c != "id"]
            )
        ),
    )
    return hashlib.sha256(repr(content).encode()).hexdigest()


@pytest.fixture(scope="session", autouse=True)
def compiled_rule_sets():
    """Build the scanner once per distinct rule set in this test session.

    Compiling the default rules (over a thousand terms into one automaton)
    takes a tenth of a second or more, and nearly every test that sends a
    message would do it again after `ruleset.forget()`. The cache is keyed by
    the rules' content (rules_key), so a changed rule is always rebuilt.
    """
    from moderation import ruleset

    built: dict[str, ruleset.RuleSet] = {}
    build = ruleset._build

    def cached_build() -> ruleset.RuleSet:
        key = rules_key()
        if key not in built:
            built[key] = build()
        return built[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ruleset, "_build", cached_build)
        yield built


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, and on PostgreSQL statement triggers on the rule
    tables that set a flag the flush reads (quick_sql_flush);
    `mark_rules_default` clears it. Made here, before any test's transaction
    could roll it back."""
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE TABLE IF NOT EXISTS {RULES_TOUCHED} (touched boolean NOT NULL);
            DELETE FROM {RULES_TOUCHED};
            INSERT INTO {RULES_TOUCHED} VALUES (true);
            CREATE OR REPLACE FUNCTION {RULES_TOUCHED}_mark() RETURNS trigger AS $$
            BEGIN UPDATE {RULES_TOUCHED} SET touched = true; RETURN NULL; END;
            $$ LANGUAGE plpgsql;
            """
        )
        for table in sorted(RULE_TABLES):
            cursor.execute(
                f"CREATE OR REPLACE TRIGGER {table}_touched AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {RULES_TOUCHED}_mark()"
            )


def mark_rules_default() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {RULES_TOUCHED} SET touched = false")


@pytest.fixture(scope="session")
def default_rule_rows(django_db_setup, django_db_blocker) -> list[dict]:
    """The default rules (DEFAULT_RULES) as rows, with the primary keys the
    migration gave them when they match it one for one.

    A `transaction=True` test's flush wipes the rules; putting them back
    under the same keys gives the same rule set (rules_key), so its scanner
    comes from the cache instead of being compiled again. The migration's keys
    are below the table's sequence, so they can never meet a new rule's.
    """
    from moderation.default_rules import DEFAULT_RULES
    from moderation.models import Rule

    rows = [
        {
            "term": spec["term"],
            "category": spec["category"],
            "level": spec["level"],
            "action": spec.get("action", "default"),
            "exceptions": list(spec.get("exceptions", [])),
            "built_in": True,
        }
        for spec in DEFAULT_RULES
    ]
    with django_db_blocker.unblock():
        migrated = list(Rule.objects.order_by("pk").values("pk", "term", "category"))
    if [(r["term"], r["category"]) for r in migrated] == [(r["term"], r["category"]) for r in rows]:
        for row, existing in zip(rows, migrated, strict=True):
            row["pk"] = existing["pk"]
    return rows


@pytest.fixture(autouse=True)
def moderation_rules(request):
    """The default rules a migration loads, in every test that uses the database.

    A `transaction=True` test's flush wipes them, so they are put back; the
    staffed hours are set to all day so that tests do not depend on the clock
    (the off-hours tests set their own); every scanner cache is dropped (the
    compiled scanner itself comes from compiled_rule_sets when the rules are
    the same).
    """
    from moderation import ruleset

    ruleset.forget()
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        rows = request.getfixturevalue("default_rule_rows")
        request.getfixturevalue("db")
        from moderation.models import Rule, SiteSettings

        if not Rule.objects.exists():
            Rule.objects.bulk_create(Rule(**row) for row in rows)
            mark_rules_default()
        SiteSettings.objects.update_or_create(
            pk=SiteSettings.objects.values_list("pk", flat=True).first(),
            defaults={"staffed_hours": [[day, "00:00", "24:00"] for day in range(7)]},
        )
    yield
    ruleset.forget()


# Socket fixtures for every test folder (protocol, moderation, revocation).
from tests.sockets import fresh_realtime_state, sockets  # noqa: E402, F401
