"""Who may use the queue, and what she sees: the same clearance question the socket asks."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import volunteers
from accounts.models import User, VolunteerRecord, VolunteerStatus
from chat import services as chat_services
from moderation import services
from moderation.models import Flag

pytestmark = pytest.mark.django_db

RED = "I want to end it all tonight"


def send(author, room_id, body):
    return chat_services.send_message(
        author=author, room_id=room_id, client_id=uuid.uuid4(), body=body
    )


@pytest.fixture
def red_flag(mum, open_room, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        send(mum, open_room.pk, RED)
    return Flag.objects.get()


def expire_dbs(volunteer, *, on: date) -> None:
    VolunteerRecord.objects.filter(user=volunteer).update(dbs_expires_on=on)


def test_a_volunteer_whose_dbs_check_expired_is_told_kindly_why_the_queue_is_closed(
    client, volunteer, red_flag
):
    expired_on = date.today() - timedelta(days=1)
    expire_dbs(volunteer, on=expired_on)
    client.force_login(volunteer)
    response = client.get(reverse("moderation_queue"))
    page = response.content.decode()
    assert response.status_code == 403
    assert f"Your DBS check expired on {expired_on:%-d %B %Y}." in page
    assert "talk to your coordinator" in page
    assert RED not in page and "Amy" not in page


def test_a_paused_volunteer_is_told_her_volunteering_is_paused(
    client, coordinator, volunteer, open_room
):
    volunteers.change_status(
        actor=coordinator, volunteer=volunteer, status=VolunteerStatus.PAUSED, reason="a break"
    )
    client.force_login(volunteer)
    response = client.get(reverse("moderation_queue"))
    assert response.status_code == 403
    assert "Your volunteering is paused at the moment." in response.content.decode()
    # The concern form is one of the queue's tools: closed the same way.
    response = client.get(reverse("raise_concern"))
    assert response.status_code == 403 and "paused" in response.content.decode()


def test_a_member_gets_the_plain_refusal_not_a_volunteers_explanation(client, other_mum):
    client.force_login(other_mum)
    response = client.get(reverse("moderation_queue"))
    assert response.status_code == 403
    assert "coordinator" in response.content.decode()
    assert "closed to you for now" not in response.content.decode()


def test_a_lapsed_volunteer_cannot_silence_a_red_flag_so_the_re_alert_goes_on(
    client, volunteer, red_flag
):
    """Acknowledging stops the 5-minute re-alert and lets the session close: over
    HTTP and in the service, only for those who may lead there now."""
    expire_dbs(volunteer, on=date.today() - timedelta(days=1))
    client.force_login(volunteer)
    client.post(reverse("flag_act", args=[red_flag.pk, "acknowledge"]))
    client.post(reverse("flag_act", args=[red_flag.pk, "escalate"]), {"note": "x"})
    red_flag.refresh_from_db()
    assert red_flag.acknowledged_at is None and red_flag.escalated_at is None
    lapsed = User.objects.get(pk=volunteer.pk)  # as a request would load her
    with pytest.raises(PermissionDenied):
        services.acknowledge_flag(actor=lapsed, flag_id=red_flag.pk)
    with pytest.raises(PermissionDenied):
        services.escalate_flag(actor=lapsed, flag_id=red_flag.pk, note="x")


def test_a_volunteer_whose_check_runs_until_today_still_has_her_queue(client, volunteer, red_flag):
    expire_dbs(volunteer, on=date.today())
    client.force_login(volunteer)
    assert RED in client.get(reverse("moderation_queue")).content.decode()
