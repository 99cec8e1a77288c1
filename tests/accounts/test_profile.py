import pytest
from django.urls import reverse

from accounts.models import HealthDataConsent

pytestmark = pytest.mark.django_db


def test_member_changes_display_name_and_email_preference(client, mum):
    client.force_login(mum)
    response = client.post(
        reverse("profile"), {"display_name": "  Amy   B ", "notify_session_opens": "on"}
    )
    assert response.status_code == 302
    mum.refresh_from_db()
    assert mum.display_name == "Amy B"
    assert mum.notify_direct_messages is False
    assert mum.notify_session_opens is True
    assert mum.show_online is False


def test_member_sees_her_consent_and_can_withdraw_and_give_it_again(client, mum):
    from accounts.services import give_health_consent

    give_health_consent(user=mum)
    client.force_login(mum)
    page = client.get(reverse("profile")).content.decode()
    assert "You gave this consent on" in page
    client.post(reverse("health_consent"), {"action": "withdraw"})
    assert not HealthDataConsent.objects.filter(user=mum, withdrawn_at__isnull=True).exists()
    page = client.get(reverse("profile")).content.decode()
    assert "You have not given this consent" in page
    client.post(reverse("health_consent"), {"action": "give"})
    assert HealthDataConsent.objects.filter(user=mum).count() == 2  # history is kept
    assert HealthDataConsent.objects.filter(user=mum, withdrawn_at__isnull=True).count() == 1


def test_profile_needs_login(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
