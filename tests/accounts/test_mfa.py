"""Coordinators must use two-factor authentication for staff pages and the admin."""

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import override_settings
from django.urls import reverse

from tests.conftest import PASSWORD, activate_totp, make_person

pytestmark = pytest.mark.django_db


def test_coordinator_without_mfa_is_sent_to_set_it_up_before_staff_pages(
    client, coordinator_without_mfa
):
    client.force_login(coordinator_without_mfa)
    response = client.get(reverse("staff_people"))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    assert client.get(reverse("audit_log")).url == reverse("mfa_activate_totp")


def test_coordinator_with_mfa_reaches_staff_pages(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("staff_people")).status_code == 200


def test_admin_without_mfa_cannot_reach_the_django_admin(client, db):
    from accounts.models import User

    admin = User.objects.create_superuser(email="root@example.net", password=PASSWORD)
    client.force_login(admin)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    activate_totp(admin)
    assert client.get("/admin/").status_code == 200


def test_admin_login_page_goes_through_allauth(client, db):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_login_of_coordinator_with_mfa_asks_for_the_code_before_signing_in(client, db):
    from accounts.models import Role

    user = make_person("cara@example.net", "Cara", Role.COORDINATOR)
    secret = activate_totp(user)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    import time

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_demo_coordinator_is_spared_mfa_only_in_demo_mode(client, settings, db):
    from accounts.models import Role

    demo = make_person(settings.VILLAGE_DEMO_COORDINATOR_EMAIL, "Cora", Role.COORDINATOR)
    client.force_login(demo)
    assert client.get(reverse("staff_people")).status_code == 200
    with override_settings(DEMO=False, PRODUCTION=True):
        response = client.get(reverse("staff_people"))
    assert response.url == reverse("mfa_activate_totp")


def test_member_gets_403_on_staff_pages_not_an_mfa_prompt(client, mum, volunteer):
    for person in (mum, volunteer):
        client.force_login(person)
        for url in (reverse("staff_people"), reverse("audit_log"), reverse("staff_invite")):
            assert client.get(url).status_code == 403, (person, url)
