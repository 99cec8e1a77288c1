import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_verified_accounts_and_resets_passwords_idempotently(client):
    call_command("seed_demo", password="first-password-1")
    call_command("seed_demo", password="second-password-2")
    people = {u.email: (u.display_name, u.role) for u in User.objects.all()}
    assert people == {
        "mum@example.org": ("Amy", "member"),
        "mum2@example.org": ("Beth", "member"),
        "volunteer@example.org": ("Val", "volunteer"),
        "coordinator@example.org": ("Cora", "coordinator"),
    }
    response = client.post(
        "/accounts/login/", {"login": "mum@example.org", "password": "second-password-2"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email="mum@example.org").pk)


def test_seed_demo_refuses_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", password="x")
    assert not User.objects.exists()
