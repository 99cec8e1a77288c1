"""Logging in and out, throttling, and what others see of a person."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def log_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_verified_member_logs_in_and_sees_her_home_page_with_the_crisis_link(client, mum):
    response = log_in(client, mum.email)
    assert response.status_code == 302
    page = client.get(reverse("home")).content.decode()
    assert "Hello, Amy" in page
    assert "Need help now?" in page
    assert "Quick exit" in page


def test_logout_ends_the_session(client, mum):
    log_in(client, mum.email)
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("profile")).status_code == 302


def test_login_is_throttled_after_repeated_failures_even_with_the_right_password(client, mum):
    for _ in range(5):
        response = log_in(client, mum.email, "wrong password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    response = log_in(client, mum.email)
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.content.decode()


def test_display_name_is_shown_and_never_the_email(client, mum, other_mum):
    client.force_login(other_mum)
    page = client.get(reverse("home")).content.decode()
    assert "Beth" in page
    assert other_mum.email not in page
    assert mum.email not in page
