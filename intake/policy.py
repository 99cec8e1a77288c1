"""Who may triage referrals, and what may happen to a referral next.

Views, templates and services ask here; nothing else decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.conf import settings

from accounts.policy import can_use_staff_pages
from intake.models import Referral

if TYPE_CHECKING:
    from accounts.models import User
    from accounts.policy import AnyUser

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


def can_triage(user: AnyUser) -> bool:
    """See referrals, their contact details and timeline, and decide them."""
    return can_use_staff_pages(user)


def action_allowed(*, referral: Referral, action: str) -> bool:
    """Whether `action` may be taken on the referral in its present status."""
    if (
        action == ACCEPT
        and referral.status == Status.ACCEPTED
        and not referral.invitation_is_usable
    ):
        # Her link expired, or was locked after wrong codes: she may get a new one.
        return True
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


def join_link_needs_code(*, referral: Referral) -> bool:
    """Whether her sign-up link asks for the short code she was told by phone."""
    return bool(settings.VILLAGE_REFERRAL_JOIN_CODES and referral.invitation_token)


def referral_may_join_account(*, referral: Referral, user: User) -> bool:
    """A referral is attached only to an account for the address its link was sent
    to, and only once that address is verified on the account."""
    address = referral.mum_email.strip().lower()
    return bool(
        address
        and user.email.lower() == address
        and EmailAddress.objects.filter(user=user, email__iexact=address, verified=True).exists()
    )
