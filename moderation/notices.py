"""Who moderation tells by email, and when: every coordinator, when a RED
flag is waiting (and again while nobody has acknowledged it). The email says
nothing of the flag; notify sends it, discreetly, after the commit."""

from __future__ import annotations

import notify
from accounts.selectors import active_coordinators


def urgent_flag_on_commit() -> None:
    """After this commit, a discreet email to every coordinator: a RED flag waits."""
    notify.email_on_commit(people=active_coordinators, kind="urgent_flag")
