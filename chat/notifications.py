"""Kept only until volunteers/ calls notify itself (issue 15); nothing else
uses it. Who chat emails is in chat/notices.py, moderation's urgent-flag
email in moderation/notices.py, the sending in notify."""

from __future__ import annotations

import notify
from accounts.selectors import active_coordinators
from notify import drain

__all__ = ["drain", "email_coordinators_on_commit"]


def email_coordinators_on_commit(kind: str) -> None:
    """After this commit, the discreet `kind` email to every coordinator
    (volunteers: "coordinator_reminder", "debrief_request")."""
    notify.email_on_commit(people=active_coordinators, kind=kind)
