"""A mum signs up, verifies her email and logs in; the ineligible are told kindly."""

import re
from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.consent import HEALTH_DATA_CONSENT_VERSION
from accounts.models import HealthDataConsent, MemberProfile, Role, SafeguardingDetails, User
from moderation.models import AuditEntry

pytestmark = pytest.mark.django_db


def signup_data(**changes):
    data = {
        "display_name": "Rosie",
        "email": "rosie@example.net",
        "password1": "a long and unusual passphrase",
        "password2": "a long and unusual passphrase",
        "stage": "baby",
        "baby_birth_date": (date.today() - timedelta(days=120)).isoformat(),
        "due_date": "",
        "referral_source": "health_visitor",
        "real_name": "Rosalind Smith",
        "phone": "07700 900123",
        "postcode": "ls1 4ap",
        "gp_practice": "Park Surgery",
        "emergency_contact_name": "Tom Smith",
        "emergency_contact_phone": "+44 7700 900456",
        "health_consent": "on",
    }
    data.update(changes)
    return data


def test_eligible_mum_signs_up_with_profile_private_details_and_versioned_consent(client):
    response = client.post(reverse("account_signup"), signup_data())
    assert response.status_code == 302
    user = User.objects.get(email="rosie@example.net")
    assert user.role == Role.MEMBER
    assert user.display_name == "Rosie"
    profile = MemberProfile.objects.get(user=user)
    assert profile.stage == "baby" and profile.due_date is None
    details = SafeguardingDetails.objects.get(member=user)
    assert details.real_name == "Rosalind Smith"
    assert details.postcode == "LS1 4AP"
    consent = HealthDataConsent.objects.get(user=user)
    assert consent.version == HEALTH_DATA_CONSENT_VERSION and consent.withdrawn_at is None
    assert AuditEntry.objects.filter(action="health_consent_given", target_id=str(user.pk)).exists()


def test_pregnant_mum_is_eligible_without_a_baby():
    from django.test import Client

    due = (date.today() + timedelta(days=90)).isoformat()
    response = Client().post(
        reverse("account_signup"),
        signup_data(stage="pregnant", due_date=due, baby_birth_date=""),
    )
    assert response.status_code == 302
    assert MemberProfile.objects.get(user__email="rosie@example.net").due_date.isoformat() == due


def test_ineligible_mum_is_told_kindly_where_else_to_go_and_nothing_is_stored(client):
    too_old = date.today().replace(year=date.today().year - 3).isoformat()
    response = client.post(reverse("account_signup"), signup_data(baby_birth_date=too_old))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="not-eligible"' in page
    assert "Family Lives" in page and "Samaritans" in page
    assert "under two" in page
    assert not User.objects.exists()
    assert not SafeguardingDetails.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("health_consent", "", "consent"),
        ("postcode", "12345", "UK postcode"),
        ("phone", "call me", "phone number"),
        ("display_name", "rosie@example.net", "an email address"),
        ("stage", "baby", "date of birth"),
    ],
)
def test_bad_signup_input_gets_a_specific_error_and_creates_nothing(client, field, value, words):
    changes = {field: value}
    if field == "stage":
        changes["baby_birth_date"] = ""
    response = client.post(reverse("account_signup"), signup_data(**changes))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not User.objects.exists()


def test_signup_sends_a_discreet_verification_email_and_the_link_verifies(client):
    client.post(reverse("account_signup"), signup_data())
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.subject == "Confirm your email address"
    assert email.from_email.startswith("Notifications")
    text = (email.subject + email.body).lower()
    for word in ("mental", "village", "perinatal", "support", "depress"):
        assert word not in text
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", email.body).group(0)
    path = link.split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    client.post(path)
    assert EmailAddress.objects.get(email="rosie@example.net").verified


def test_unverified_mum_cannot_log_in_until_she_verifies(client):
    client.post(reverse("account_signup"), signup_data())
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "rosie@example.net", "password": "a long and unusual passphrase"},
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
