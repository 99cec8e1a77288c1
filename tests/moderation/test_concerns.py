"""Raising a concern: who may, about whom, and how often."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import User, VolunteerRecord, VolunteerStatus
from chat import services as chat_services
from moderation import services
from moderation.models import Flag
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def concern(client, member, *, level="AMBER", note="She seemed very low today"):
    return client.post(
        reverse("raise_concern"), {"member": member.pk, "level": level, "note": note}
    )


def names_on_the_form(client) -> set[str]:
    form = client.get(reverse("raise_concern")).context["form"]
    return {person.display_name for person in form.fields["member"].queryset}


def test_a_volunteer_may_name_only_the_members_of_her_rooms_and_1_to_1_chats(
    client, coordinator, volunteer, other_volunteer, mum, other_mum, group_room
):
    olive = make_member("olive@example.net", "Olive")  # in no room of Val's
    nell = make_member("nell@example.net", "Nell")
    chat_services.pair(actor=coordinator, member=nell, volunteer=volunteer)
    chat_services.pair(actor=coordinator, member=olive, volunteer=other_volunteer)
    client.force_login(volunteer)
    assert names_on_the_form(client) == {"Amy", "Beth", "Nell"}
    page = client.get(reverse("raise_concern")).content.decode()
    assert "Olive" not in page
    response = concern(client, olive)
    assert response.status_code == 200 and not Flag.objects.exists()
    client.force_login(other_volunteer)
    assert names_on_the_form(client) == {"Olive"}
    # The service asks the same question as the form.
    with pytest.raises(PermissionDenied):
        services.raise_concern(actor=other_volunteer, member=mum, level="AMBER", note="x")


def test_a_coordinator_may_name_any_member(client, coordinator, mum, other_mum):
    client.force_login(coordinator)
    assert names_on_the_form(client) == {"Amy", "Beth"}
    assert concern(client, mum).status_code == 302
    assert Flag.objects.get().raised_by == coordinator


def test_a_volunteer_not_yet_cleared_cannot_see_the_list_of_members(client, volunteer, mum):
    VolunteerRecord.objects.filter(user=volunteer).update(status=VolunteerStatus.APPLYING)
    client.force_login(volunteer)
    response = client.get(reverse("raise_concern"))
    assert response.status_code == 403 and "Amy" not in response.content.decode()
    assert "checks and training" in response.content.decode()
    assert concern(client, mum).status_code == 403 and not Flag.objects.exists()


def test_an_expired_volunteer_cannot_raise_one_in_the_service_either(volunteer, mum, group_room):
    VolunteerRecord.objects.filter(user=volunteer).update(
        dbs_expires_on=date.today() - timedelta(days=1)
    )
    lapsed = User.objects.get(pk=volunteer.pk)
    with pytest.raises(PermissionDenied):
        services.raise_concern(actor=lapsed, member=mum, level="RED", note="x")


def test_a_coordinator_without_two_factor_is_sent_to_set_it_up_first(
    client, coordinator_without_mfa, mum
):
    client.force_login(coordinator_without_mfa)
    response = client.get(reverse("raise_concern"))
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    assert concern(client, mum).status_code == 302 and not Flag.objects.exists()
    with pytest.raises(PermissionDenied):
        services.raise_concern(actor=coordinator_without_mfa, member=mum, level="RED", note="x")


def test_past_the_hourly_limit_she_is_told_kindly_to_phone_and_nobody_is_alerted(
    client, settings, monkeypatch, volunteer, coordinator, mum, group_room
):
    settings.VILLAGE_CONCERNS_PER_PERSON_PER_HOUR = 2
    alerts = []  # each is an email to every coordinator (tests/chat/test_notifications.py)
    monkeypatch.setattr(services, "alert_coordinators_on_commit", lambda: alerts.append(1))
    client.force_login(volunteer)
    for _ in range(2):
        assert concern(client, mum, level="RED").status_code == 302
    assert len(alerts) == 2
    response = concern(client, mum, level="RED")
    page = response.content.decode()
    assert response.status_code == 429
    assert "You&#x27;ve raised 2 concerns in the last hour" in page
    assert "please phone your coordinator, or 999" in page
    assert Flag.objects.count() == 2 and len(alerts) == 2
    # The limit is hers alone: a coordinator can still raise one.
    client.force_login(coordinator)
    assert concern(client, mum).status_code == 302 and Flag.objects.count() == 3
