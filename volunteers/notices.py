"""Who volunteers tells by email, and when: every coordinator, when a reminder
about a volunteer or a pairing is due and when a volunteer asks for a debrief.
The email names nobody; notify sends it, discreetly, after the commit."""

from __future__ import annotations

import notify
from accounts.selectors import active_coordinators


def coordinator_reminder_on_commit() -> None:
    """After this commit, a discreet email to every coordinator: a reminder is due."""
    notify.email_on_commit(people=active_coordinators, kind="coordinator_reminder")


def debrief_request_on_commit() -> None:
    """After this commit, a discreet email to every coordinator: a volunteer asks
    to talk a hard chat through."""
    notify.email_on_commit(people=active_coordinators, kind="debrief_request")
