"""Discreet emails to people who are not connected.

Someone else may read her inbox or see her phone's lock screen: the sender
and subject are neutral, and no email carries message content, room names or
any word about mental health. Each kind can be switched off in the profile;
a 1:1 chat sends at most one email an hour. Emails go out on a background
thread after the commit, so a slow mail server never delays a message.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connections, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from chat import presence
from chat.models import EmailNotice, Membership, Room

log = logging.getLogger("village.notifications")

DIRECT_MESSAGE_INTERVAL = timedelta(hours=1)

_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="village-email")
_pending: set[Future] = set()
_pending_lock = threading.Lock()


def _in_background(fn, **kwargs) -> None:
    def run():
        try:
            fn(**kwargs)
        except Exception:
            log.exception("a notification email failed")
        finally:
            # Emails are rare: a connection per email beats one idling per thread.
            connections.close_all()

    future = _executor.submit(run)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(lambda f: _discard(f))


def _discard(future: Future) -> None:
    with _pending_lock:
        _pending.discard(future)


def drain(timeout: float = 10) -> None:
    """Wait until queued emails are sent (tests, shutdown)."""
    with _pending_lock:
        pending = list(_pending)
    wait(pending, timeout=timeout)


def direct_message_on_commit(*, room: Room, author: User) -> None:
    """After this commit, tell the other person of a 1:1 if she is away."""
    transaction.on_commit(
        lambda: _in_background(_notify_direct_message, room_id=room.pk, author_id=author.pk)
    )


def session_opened_on_commit(*, room: Room, opener: User) -> None:
    """After this commit, tell the room's people who are away that it has opened."""
    transaction.on_commit(
        lambda: _in_background(_notify_session_opened, room_id=room.pk, opener_id=opener.pk)
    )


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
            transaction.on_commit(lambda p=person: _send(p, "direct_message"))


def _notify_session_opened(*, room_id: int, opener_id: int) -> None:
    for membership in _others(room_id, exclude=opener_id):
        person = membership.user
        if not person.notify_session_opens or presence.is_connected(user_id=person.pk):
            continue
        EmailNotice.objects.create(
            user=person, kind=EmailNotice.Kind.SESSION_OPENED, room_id=room_id
        )
        _send(person, "session_opened")


def email_coordinators_on_commit(kind: str = "urgent_flag") -> None:
    """After this commit, a discreet email to every coordinator.

    `kind` names the templates: "urgent_flag" (a RED flag waits),
    "coordinator_reminder" (volunteer checks, pairings), "debrief_request".
    """
    transaction.on_commit(lambda: _in_background(_notify_coordinators, kind=kind))


def _notify_coordinators(*, kind: str) -> None:
    coordinators = User.objects.filter(role="coordinator", is_active=True, anonymised_at=None)
    for coordinator in coordinators:
        _send(coordinator, kind)


def _others(room_id: int, *, exclude: int):
    return (
        Membership.objects.filter(
            room_id=room_id, removed_at=None, user__is_active=True, user__anonymised_at=None
        )
        .exclude(user_id=exclude)
        .select_related("user")
    )


def _send(person: User, kind: str) -> None:
    context = {"site_url": settings.VILLAGE_SITE_URL}
    send_mail(
        subject=render_to_string(f"chat/email/{kind}_subject.txt", context).strip(),
        message=render_to_string(f"chat/email/{kind}_message.txt", context),
        from_email=None,
        recipient_list=[person.email],
    )
