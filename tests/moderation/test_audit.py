"""The audit log is append-only: through Village, and on PostgreSQL in the database."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from moderation.models import AuditEntry, AuditLogIsAppendOnly
from moderation.services import AuditAction, record_audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(coordinator, mum):
    return record_audit(
        actor=coordinator, action=AuditAction.ROLE_CHANGED, target=mum, reason="training"
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


def test_coordinator_reads_and_filters_the_audit_log(client, coordinator, mum, volunteer):
    record_audit(
        actor=coordinator, action=AuditAction.ROLE_CHANGED, target=volunteer, reason="reason-alpha"
    )
    record_audit(
        actor=coordinator,
        action=AuditAction.SAFEGUARDING_DETAILS_VIEWED,
        target=mum,
        reason="reason-beta",
    )
    client.force_login(coordinator)
    page = client.get(reverse("audit_log")).content.decode()
    assert "reason-alpha" in page and "reason-beta" in page
    page = client.get(
        reverse("audit_log"), {"action": "safeguarding_details_viewed"}
    ).content.decode()
    assert "reason-beta" in page and "reason-alpha" not in page
    page = client.get(reverse("audit_log"), {"target": "Val"}).content.decode()
    assert "reason-alpha" in page and "reason-beta" not in page


def test_audit_filter_with_end_before_start_says_so(client, coordinator):
    client.force_login(coordinator)
    page = client.get(
        reverse("audit_log"), {"since": "2026-05-02", "until": "2026-05-01"}
    ).content.decode()
    assert "The end date is before the start date." in page


def test_members_and_volunteers_cannot_read_the_audit_log(client, mum, volunteer):
    for person in (mum, volunteer):
        client.force_login(person)
        assert client.get(reverse("audit_log")).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_truncate_still_empties_the_audit_table_for_the_test_flush(django_user_model):
    actor = django_user_model.objects.create_user(email="t@example.net", display_name="T")
    record_audit(actor=actor, action=AuditAction.ROLE_CHANGED, target=actor, reason="r")
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE moderation_auditentry")
    assert not AuditEntry.objects.exists()
