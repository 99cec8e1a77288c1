"""Coordinators manage people: roles, invitations, safeguarding details; all audited."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.models import Invitation, Role, User
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_role_change_by_a_coordinator_is_recorded_in_the_audit_log(client, coordinator, mum):
    client.force_login(coordinator)
    response = client.post(
        reverse("staff_person", args=[mum.pk]),
        {"role": "volunteer", "reason": "Completed volunteer training"},
    )
    assert response.status_code == 302
    mum.refresh_from_db()
    assert mum.role == Role.VOLUNTEER
    entry = AuditEntry.objects.get(action="role_changed")
    assert entry.actor == coordinator
    assert entry.target_id == str(mum.pk)
    assert entry.reason == "Completed volunteer training"
    assert entry.details == {"from": "member", "to": "volunteer"}


def test_role_change_needs_a_reason_and_changes_nothing_without_one(client, coordinator, mum):
    client.force_login(coordinator)
    response = client.post(
        reverse("staff_person", args=[mum.pk]), {"role": "volunteer", "reason": ""}
    )
    assert response.status_code == 200
    mum.refresh_from_db()
    assert mum.role == Role.MEMBER
    assert not AuditEntry.objects.filter(action="role_changed").exists()


def test_coordinator_cannot_change_her_own_role(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("staff_person", args=[coordinator.pk]), {"role": "member", "reason": "oops"}
    )
    assert response.status_code == 403
    coordinator.refresh_from_db()
    assert coordinator.role == Role.COORDINATOR


def test_member_cannot_change_roles(client, mum, other_mum):
    client.force_login(mum)
    response = client.post(
        reverse("staff_person", args=[other_mum.pk]), {"role": "coordinator", "reason": "x"}
    )
    assert response.status_code == 403
    other_mum.refresh_from_db()
    assert other_mum.role == Role.MEMBER


def test_viewing_safeguarding_details_is_audited_with_the_reason(client, coordinator, mum):
    client.force_login(coordinator)
    person_page = client.get(reverse("staff_person", args=[mum.pk])).content.decode()
    assert "Amy Realname" not in person_page  # not shown until asked for, with a reason
    response = client.post(
        reverse("staff_safeguarding_details", args=[mum.pk]),
        {"reason": "RED flag: she wrote she took an overdose"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Amy Realname" in page and "07700 900001" in page
    entry = AuditEntry.objects.get(action="safeguarding_details_viewed")
    assert entry.actor == coordinator and entry.target_id == str(mum.pk)
    assert entry.reason == "RED flag: she wrote she took an overdose"
    assert "Realname" not in str(entry.details)


def test_safeguarding_details_need_a_reason(client, coordinator, mum):
    client.force_login(coordinator)
    response = client.post(reverse("staff_safeguarding_details", args=[mum.pk]), {"reason": " "})
    assert response.status_code == 400
    assert "Amy Realname" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="safeguarding_details_viewed").exists()


def test_volunteer_cannot_view_safeguarding_details(client, volunteer, mum):
    client.force_login(volunteer)
    response = client.post(reverse("staff_safeguarding_details", args=[mum.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


def test_coordinator_invites_a_volunteer_who_accepts_and_is_verified(
    client, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("staff_invite"), {"email": "New.Vol@example.net", "role": "volunteer"}
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your invitation"
    link = re.search(r"http://testserver(/accounts/invitation/\S+/)", mail.outbox[0].body).group(1)
    client.logout()
    response = client.post(
        link,
        {
            "display_name": "Nell",
            "password1": "another long passphrase",
            "password2": "another long passphrase",
        },
    )
    assert response.status_code == 302
    volunteer = User.objects.get(email="new.vol@example.net")
    assert volunteer.role == Role.VOLUNTEER and volunteer.display_name == "Nell"
    assert EmailAddress.objects.get(user=volunteer).verified
    assert client.session["_auth_user_id"] == str(volunteer.pk)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"invitation_sent", "invitation_accepted"} <= actions
    # The link is single-use.
    client.logout()
    assert client.get(link).status_code == 404


def test_invitation_to_an_existing_email_is_refused_with_a_clear_error(client, coordinator, mum):
    client.force_login(coordinator)
    response = client.post(reverse("staff_invite"), {"email": mum.email, "role": "volunteer"})
    assert response.status_code == 200
    assert "already has an account" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_people_page_filters_by_role_and_name(client, coordinator, mum, other_mum, volunteer):
    client.force_login(coordinator)
    page = client.get(reverse("staff_people"), {"role": "member", "q": "bet"}).content.decode()
    assert "Beth" in page
    assert ">Amy<" not in page and ">Val<" not in page
