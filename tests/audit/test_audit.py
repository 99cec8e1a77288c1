"""The audit log is append-only: through Village, and on PostgreSQL in the database.

Moved from tests/moderation/test_audit.py with the model (issue 15); the
audit log page's tests stay there.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, models, transaction

from accounts.audit_actions import AccountsAuditAction
from audit.models import AuditEntry, AuditLogIsAppendOnly
from audit.registry import action_choices, action_label, register_actions
from audit.services import record_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(coordinator, mum):
    return record_audit(
        actor=coordinator, action=AccountsAuditAction.ROLE_CHANGED, target=mum, reason="training"
    )


def test_record_audit_stores_who_what_when_why_and_target(entry, coordinator, mum):
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.actor == coordinator
    assert stored.action == "role_changed"
    assert (stored.target_type, stored.target_id, stored.target_label) == (
        "accounts.user",
        str(mum.pk),
        "Amy",
    )
    assert stored.reason == "training"
    assert stored.created_at is not None


def test_entries_cannot_be_changed_or_deleted_through_village(entry):
    entry.reason = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == "training"


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_of_audit_rows(entry):
    for sql in (
        "UPDATE moderation_auditentry SET reason = 'rewritten'",
        "DELETE FROM moderation_auditentry",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM moderation_auditentry")
        assert cursor.fetchall() == [("training",)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_truncate_still_empties_the_audit_table_for_the_test_flush(django_user_model):
    actor = django_user_model.objects.create_user(email="t@example.net", display_name="T")
    record_audit(actor=actor, action=AccountsAuditAction.ROLE_CHANGED, target=actor, reason="r")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE moderation_auditentry")
    assert not AuditEntry.objects.exists()


def test_every_app_declares_its_own_actions_and_the_log_shows_their_labels():
    declared = dict(action_choices())
    for module in ("accounts", "chat", "moderation", "intake", "volunteers"):
        actions = __import__(f"{module}.audit_actions", fromlist=["*"])
        (choices,) = [
            value
            for value in vars(actions).values()
            if isinstance(value, type)
            and issubclass(value, models.TextChoices)
            and value is not models.TextChoices
        ]
        for value, label in choices.choices:
            assert declared[value] == label
    assert action_label("flag_escalated") == "Flag escalated to coordinators"
    assert action_label("referral_viewed") == "Referral opened (her contact details)"
    # An action nobody declares any more still shows, as what was stored.
    assert action_label("retired_action") == "retired_action"


def test_one_stored_value_cannot_mean_two_things():
    class Clash(models.TextChoices):
        ROLE_CHANGED = "role_changed", "Something else"

    with pytest.raises(ImproperlyConfigured):
        register_actions(Clash)
    assert action_label("role_changed") == "Role changed"
