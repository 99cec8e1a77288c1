"""Discreet emails to people who are away: when, how often, and what they never say."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail

import notify
from chat import services
from infra.dbwork import in_db_thread

pytestmark = pytest.mark.django_db(transaction=True)

FORBIDDEN_WORDS = ("mental", "village", "depress", "anxiety", "group", "volunteer", "Amy", "Val")


def say(author, room_id, body="Thinking of you today"):
    return services.send_message(author=author, room_id=room_id, client_id=uuid.uuid4(), body=body)


def assert_discreet(email, body_sent: str | None = None):
    assert email.subject == "You have a new notification"
    assert email.from_email.startswith("Notifications")
    text = email.subject + email.body
    for word in FORBIDDEN_WORDS:
        assert word.lower() not in text.lower(), word
    if body_sent:
        assert body_sent not in text


def test_a_1to1_message_to_someone_away_sends_one_discreet_email_an_hour(mum, volunteer, pairing):
    say(mum, pairing.room_id, "I had a really hard night")
    say(mum, pairing.room_id, "are you there?")
    notify.drain()
    assert [m.to for m in mail.outbox] == [[volunteer.email]]
    assert_discreet(mail.outbox[0], "I had a really hard night")


async def test_no_email_while_she_is_connected(sockets, mum, volunteer, pairing):
    await sockets(volunteer)
    await in_db_thread(say)(mum, pairing.room_id)
    notify.drain()
    assert mail.outbox == []


def test_no_email_when_she_switched_it_off(mum, volunteer, pairing):
    volunteer.notify_direct_messages = False
    volunteer.save()
    say(mum, pairing.room_id)
    notify.drain()
    assert mail.outbox == []


def test_session_opening_emails_the_members_who_are_away_and_want_it(
    mum, other_mum, volunteer, group_room
):
    other_mum.notify_session_opens = False
    other_mum.save()
    services.open_session(actor=volunteer, room_id=group_room.pk)
    notify.drain()
    assert [m.to for m in mail.outbox] == [[mum.email]]
    assert_discreet(mail.outbox[0])


def test_group_messages_send_no_email(mum, other_mum, open_room):
    notify.drain()
    mail.outbox.clear()
    say(mum, open_room.pk)
    notify.drain()
    assert mail.outbox == []
