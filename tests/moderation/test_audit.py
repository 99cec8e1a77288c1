"""The audit log page: coordinators read and filter it, nobody else can."""

import pytest
from django.urls import reverse

from accounts.audit_actions import AccountsAuditAction
from audit.services import record_audit

pytestmark = pytest.mark.django_db


def test_coordinator_reads_and_filters_the_audit_log(client, coordinator, mum, volunteer):
    record_audit(
        actor=coordinator,
        action=AccountsAuditAction.ROLE_CHANGED,
        target=volunteer,
        reason="reason-alpha",
    )
    record_audit(
        actor=coordinator,
        action=AccountsAuditAction.SAFEGUARDING_DETAILS_VIEWED,
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
