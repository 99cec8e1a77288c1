"""Reads of private things are audited when they are shown: 1:1 messages on a queue
card, and a referral's page with her contact details."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from chat import services as chat_services
from moderation import services
from moderation.models import Flag
from moderation.selectors import open_flags_for
from tests.intake.referrals import make_referral

pytestmark = pytest.mark.django_db

RED = "I want to end it all tonight"


def say(author, room_id, body):
    return chat_services.send_message(
        author=author, room_id=room_id, client_id=uuid.uuid4(), body=body
    )


def excerpts_seen(by=None):
    entries = AuditEntry.objects.filter(action="direct_excerpt_seen")
    return entries.filter(actor=by) if by is not None else entries


@pytest.fixture
def direct_flag(mum, volunteer, pairing, settings, django_capture_on_commit_callbacks):
    """A RED from Amy's 1:1 with Val, with messages either side of it."""
    settings.VILLAGE_SEND_RATE_COUNT = 100
    with django_capture_on_commit_callbacks(execute=False):
        for n in range(6):
            say(volunteer if n % 2 else mum, pairing.room_id, f"before {n}")
        say(mum, pairing.room_id, RED)
        for n in range(6):
            say(volunteer if n % 2 else mum, pairing.room_id, f"after {n}")
    return Flag.objects.get(message__body=RED)


def test_a_coordinator_shown_1_to_1_messages_on_the_queue_is_audited_once_per_flag(
    client, coordinator, direct_flag
):
    client.force_login(coordinator)
    page = client.get(reverse("moderation_queue")).content.decode()
    assert RED in page and "before 5" in page and "after 0" in page
    entry = excerpts_seen().get()  # one entry for the card, not one per message
    assert entry.actor == coordinator and entry.target_id == str(direct_flag.pk)
    assert entry.details == {"room": direct_flag.room_id, "message": direct_flag.message_id}
    assert timezone.now() - entry.created_at < timedelta(minutes=1)
    # The queue refreshes itself as flags arrive: that is the same read.
    client.get(reverse("moderation_queue") + "?partial=1")
    assert excerpts_seen().count() == 1


def test_the_same_card_seen_again_later_is_a_new_read(coordinator, direct_flag):
    flags = list(open_flags_for(coordinator))
    later = timezone.now() + services.EXCERPT_READ_WINDOW + timedelta(seconds=1)
    assert services.record_direct_excerpts_seen(viewer=coordinator, flags=flags) == 1
    assert services.record_direct_excerpts_seen(viewer=coordinator, flags=flags) == 0
    assert services.record_direct_excerpts_seen(viewer=coordinator, flags=flags, at=later) == 1


def test_her_own_1_to_1_and_group_rooms_write_no_such_entry(
    client, volunteer, coordinator, direct_flag, mum, open_room
):
    say(mum, open_room.pk, "I want to end it all")
    client.force_login(volunteer)  # Val is in the 1:1: it is her own chat
    assert RED in client.get(reverse("moderation_queue")).content.decode()
    assert not excerpts_seen().exists()
    client.force_login(coordinator)
    client.get(reverse("moderation_queue"))
    assert [e.target_id for e in excerpts_seen()] == [str(direct_flag.pk)]


def test_opening_a_referral_writes_who_opened_it_and_when(client, coordinator):
    referral = make_referral(mum_name="Jo Realname")
    client.force_login(coordinator)
    for _ in range(2):
        page = client.get(reverse("staff_referral", args=[referral.pk])).content.decode()
        assert "Jo Realname" in page
    entries = AuditEntry.objects.filter(action="referral_viewed")
    assert [(e.actor, e.target_type, e.target_id) for e in entries] == [
        (coordinator, "intake.referral", str(referral.pk))
    ] * 2
    # Her timeline says what was done, not who looked.
    assert "Referral opened" not in page


def test_a_referral_page_refused_writes_nothing(client, volunteer):
    referral = make_referral()
    client.force_login(volunteer)
    assert client.get(reverse("staff_referral", args=[referral.pk])).status_code == 403
    assert not AuditEntry.objects.filter(action="referral_viewed").exists()


def test_a_referral_page_shown_again_after_a_refused_step_is_audited_too(client, coordinator):
    referral = make_referral(mum_name="Jo Realname")
    client.force_login(coordinator)
    response = client.post(reverse("staff_referral_act", args=[referral.pk, "decline"]), {})
    assert response.status_code == 400 and "Jo Realname" in response.content.decode()
    assert AuditEntry.objects.filter(action="referral_viewed", actor=coordinator).count() == 1
