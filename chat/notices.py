"""Who chat tells by email, and when, while they are away.

A 1:1 message tells the other person (at most one email an hour); a session
opening tells the room's people. Each kind can be switched off in the
profile, and nobody connected is emailed. The sending itself, discreet and in
the background after the commit, is notify's.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

import notify
from accounts.models import User
from chat import presence
from chat.models import EmailNotice, Membership, Room

DIRECT_MESSAGE_INTERVAL = timedelta(hours=1)


def direct_message_on_commit(*, room: Room, author: User) -> None:
    """After this commit, tell the other person of a 1:1 if she is away."""
    notify.on_commit(_notify_direct_message, room_id=room.pk, author_id=author.pk)


def session_opened_on_commit(*, room: Room, opener: User) -> None:
    """After this commit, tell the room's people who are away that it has opened."""
    notify.on_commit(_notify_session_opened, room_id=room.pk, opener_id=opener.pk)


def _notify_direct_message(*, room_id: int, author_id: int) -> None:
    since = timezone.now() - DIRECT_MESSAGE_INTERVAL
    for membership in _others(room_id, exclude=author_id):
        person = membership.user
        if not person.notify_direct_messages or presence.is_connected(user_id=person.pk):
            continue
        with transaction.atomic():
            # Lock her row so two messages at once send one email, not two.
            User.objects.select_for_update().get(pk=person.pk)
            recent = EmailNotice.objects.filter(
                user=person, kind=EmailNotice.Kind.DIRECT_MESSAGE, sent_at__gte=since
            )
            if recent.exists():
                continue
            EmailNotice.objects.create(
                user=person, kind=EmailNotice.Kind.DIRECT_MESSAGE, room_id=room_id
            )
            transaction.on_commit(lambda p=person: notify.email(people=[p], kind="direct_message"))


def _notify_session_opened(*, room_id: int, opener_id: int) -> None:
    for membership in _others(room_id, exclude=opener_id):
        person = membership.user
        if not person.notify_session_opens or presence.is_connected(user_id=person.pk):
            continue
        EmailNotice.objects.create(
            user=person, kind=EmailNotice.Kind.SESSION_OPENED, room_id=room_id
        )
        notify.email(people=[person], kind="session_opened")


def _others(room_id: int, *, exclude: int):
    return (
        Membership.objects.filter(
            room_id=room_id, removed_at=None, user__is_active=True, user__anonymised_at=None
        )
        .exclude(user_id=exclude)
        .select_related("user")
    )
