import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_verified_accounts_and_resets_passwords_idempotently(client):
    call_command("seed_demo", password="first-password-1")
    call_command("seed_demo", password="second-password-2")
    people = {
        u.email: (u.display_name, u.role) for u in User.objects.exclude(email__startswith="past-")
    }
    assert people == {
        "mum@example.org": ("Amy", "member"),
        "mum2@example.org": ("Beth", "member"),
        "volunteer@example.org": ("Val", "volunteer"),
        "coordinator@example.org": ("Cora", "coordinator"),
    }
    # The demo's past (for Reports): sixteen members nobody can log in as.
    past = User.objects.filter(email__startswith="past-")
    assert past.count() == 16 and not any(u.has_usable_password() for u in past)
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


def test_seed_demo_keeps_val_an_active_volunteer_with_a_valid_dbs_check():
    from accounts.models import VolunteerRecord
    from accounts.policy import is_cleared_volunteer

    call_command("seed_demo", password="first-password-1")
    val = User.objects.get(email="volunteer@example.org")
    VolunteerRecord.objects.filter(user=val).update(status="paused", dbs_expires_on=None)
    call_command("seed_demo", password="first-password-1")
    val.refresh_from_db()
    assert is_cleared_volunteer(val)


def test_the_demo_report_has_figures_to_show():
    from datetime import date

    from outcomes import reports

    call_command("seed_demo", password="first-password-1")
    scope = reports.Scope(period=reports.Period.last_twelve_months(today=date.today()))
    changes = {change.measure: change for change in reports.score_changes(scope=scope)}
    assert changes["phq9"].people.value == 16 and changes["phq9"].shown
    assert changes["gad7"].shown


def test_demo_mums_are_complete_members_who_go_straight_to_their_rooms(client):
    """`make run`'s mums have given their private details: no sign-up step is left."""
    from django.urls import reverse

    from accounts.models import User
    from accounts.policy import needs_private_details

    call_command("seed_demo", password="first-password-1")
    amy = User.objects.get(email="mum@example.org")
    assert not needs_private_details(amy)
    client.force_login(amy)
    assert client.get(reverse("home")).status_code == 200
