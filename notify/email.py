"""Discreet emails.

Someone else may read her inbox or see her phone's lock screen: the sender
and subject are neutral, and no email carries message content, room names or
any word about mental health. Each kind is a pair of templates,
notify/email/<kind>_subject.txt and <kind>_message.txt, worded that way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from notify.background import on_commit


class Person(Protocol):
    email: str


def email(*, people: Iterable[Person], kind: str) -> None:
    """Send the `kind` email to each of `people`, one email each, now, on this
    thread (call it from a background task: see `email_on_commit`)."""
    context = {"site_url": settings.VILLAGE_SITE_URL}
    for person in people:
        send_mail(
            subject=render_to_string(f"notify/email/{kind}_subject.txt", context).strip(),
            message=render_to_string(f"notify/email/{kind}_message.txt", context),
            from_email=None,
            recipient_list=[person.email],
        )


def email_on_commit(*, people: Callable[[], Iterable[Person]], kind: str) -> None:
    """After this commit, in the background, the `kind` email to each person
    `people()` returns. `people` is called on the background thread, so it
    reads who to tell as they are when the email goes out."""
    on_commit(_email_people, people=people, kind=kind)


def _email_people(*, people: Callable[[], Iterable[Person]], kind: str) -> None:
    email(people=people(), kind=kind)
