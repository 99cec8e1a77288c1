"""Who may triage referrals, and what may happen to a referral next.

Views, templates and services ask here; nothing else decides.
"""

from __future__ import annotations

from accounts.policy import can_use_staff_pages
from intake.models import Referral

Status = Referral.Status

ACCEPT = "accept"
REQUEST_INFO = "request_info"
INFO_RECEIVED = "info_received"
WAITLIST = "waitlist"
DECLINE = "decline"

# The statuses each triage action may start from. A decided referral
# (accepted, declined, joined) is closed: nothing more happens to it here.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    ACCEPT: frozenset({Status.NEW, Status.INFO_REQUESTED, Status.WAITING}),
    REQUEST_INFO: frozenset({Status.NEW, Status.INFO_REQUESTED, Status.WAITING}),
    INFO_RECEIVED: frozenset({Status.INFO_REQUESTED}),
    WAITLIST: frozenset({Status.NEW, Status.INFO_REQUESTED}),
    DECLINE: frozenset({Status.NEW, Status.INFO_REQUESTED, Status.WAITING}),
}
ACTIONS = tuple(ALLOWED_FROM)
_ACTION_WORDS = {
    ACCEPT: "accepted",
    REQUEST_INFO: "asked about",
    INFO_RECEIVED: "marked as answered",
    WAITLIST: "put on the waiting list",
    DECLINE: "declined",
}


def can_triage(user) -> bool:
    """See referrals, their contact details and timeline, and decide them."""
    return can_use_staff_pages(user)


def action_allowed(*, referral: Referral, action: str) -> bool:
    """Whether `action` may be taken on the referral in its present status."""
    return referral.status in ALLOWED_FROM.get(action, frozenset())


def allowed_actions(*, referral: Referral) -> frozenset[str]:
    return frozenset(
        action for action in ACTIONS if action_allowed(referral=referral, action=action)
    )


def why_not(*, referral: Referral, action: str) -> str:
    """Why `action` is refused for this referral now, in words for the coordinator."""
    return (
        f"Referral {referral.pk} can't be {_ACTION_WORDS.get(action, 'changed')} now: its "
        f"status is “{referral.get_status_display()}”. Nothing was changed."
    )
