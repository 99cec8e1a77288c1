"""Reads for the referral pages: the triage lists, a referral's timeline and flags."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import ExperienceTag, Stage
from audit.models import AuditEntry
from intake.audit_actions import IntakeAuditAction
from intake.models import Referral
from intake.screen import SCREEN_QUESTIONS
from moderation.models import Flag

Status = Referral.Status

TO_TRIAGE = (Status.NEW, Status.INFO_REQUESTED)
DECIDED = (Status.ACCEPTED, Status.DECLINED, Status.JOINED)

# Short names of the screen's questions, for lists where the whole question is too long.
SCREEN_SHORT = {
    "screen_suicide_plan": "suicide plan",
    "screen_psychosis": "possible psychosis",
    "screen_baby_harm": "harming her baby, with intent",
    "screen_unsafe_at_home": "unsafe at home",
}


def referrals_to_triage() -> QuerySet[Referral]:
    """New referrals and those waiting for an answer: urgent first, then oldest first."""
    return Referral.objects.filter(status__in=TO_TRIAGE).order_by("urgency", "created_at", "id")


@dataclass(frozen=True)
class WaitingReferral:
    referral: Referral
    days_waiting: int


def waiting_list(*, now: datetime | None = None) -> list[WaitingReferral]:
    """The waiting list, longest wait first, with the whole days each has waited."""
    now = now or timezone.now()
    waiting = Referral.objects.filter(status=Status.WAITING).order_by(
        "waiting_since", "created_at", "id"
    )
    return [
        WaitingReferral(referral=r, days_waiting=(now - (r.waiting_since or r.created_at)).days)
        for r in waiting
    ]


def decided_referrals() -> QuerySet[Referral]:
    """Accepted, declined and joined referrals, most recently decided first."""
    return (
        Referral.objects.filter(status__in=DECIDED)
        .select_related("decided_by", "member")
        .order_by("-decided_at", "-created_at", "-id")
    )


def tab_counts() -> dict[str, int]:
    return {
        "triage": Referral.objects.filter(status__in=TO_TRIAGE).count(),
        "waiting": Referral.objects.filter(status=Status.WAITING).count(),
        "decided": Referral.objects.filter(status__in=DECIDED).count(),
    }


def screen_yes_labels(referral: Referral) -> list[str]:
    """Short names of the screen questions answered yes."""
    return [SCREEN_SHORT[name] for name, _question in SCREEN_QUESTIONS if getattr(referral, name)]


def referral_timeline(referral: Referral) -> QuerySet[AuditEntry]:
    """The referral's audit entries, oldest first: who did what, and when (not who
    merely opened it: those reads are in the audit log)."""
    return (
        AuditEntry.objects.filter(target_type="intake.referral", target_id=str(referral.pk))
        .exclude(action=IntakeAuditAction.REFERRAL_VIEWED)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def referral_flags(referral: Referral) -> QuerySet[Flag]:
    return referral.flags.select_related("acknowledged_by", "resolved_by").order_by("created_at")


def referral_with_usable_invitation(token: str) -> Referral | None:
    """The referral whose sign-up link this is, while the link may still be used."""
    referral = Referral.objects.filter(invitation_token=token).first() if token else None
    return referral if referral is not None and referral.invitation_is_usable else None


def referral_for_join_token(token: str) -> Referral | None:
    """The referral whose sign-up link this is, usable or not."""
    return Referral.objects.filter(invitation_token=token).first() if token else None


def join_code_for(referral: Referral) -> str:
    """Her link's short code: six digits derived from the link (nothing more is stored).

    Shown to coordinators on the referral's page, told to her by phone.
    """
    digest = salted_hmac("village.intake.join_code", referral.invitation_token or "").hexdigest()
    return f"{int(digest, 16) % 1_000_000:06d}"


def join_code_failures_key(referral_id: int) -> str:
    return f"intake:join-code-failures:{referral_id}"


def referral_rate_key(client_address: str) -> str:
    """The cache key counting an address's referrals (hashed: the cache keeps no addresses)."""
    digest = hashlib.sha256(client_address.encode()).hexdigest()[:32]
    return f"intake:referrals:{digest}"


def urgent_self_referral_rate_key(client_address: str) -> str:
    """The cache key counting an address's self-referrals that said "yes" on the screen."""
    digest = hashlib.sha256(client_address.encode()).hexdigest()[:32]
    return f"intake:urgent-self-referrals:{digest}"


def referral_for_submission(token: str) -> Referral | None:
    """The referral already stored from this form's one-time token, if any."""
    if not token:
        return None
    return Referral.objects.filter(submission_token=token).first()


def referral_limit_reached(*, client_address: str) -> bool:
    """Whether this address has sent its referrals for the hour already."""
    try:
        sent = cache.get(referral_rate_key(client_address), 0)
    except Exception:  # noqa: BLE001 - a cache that is down never blocks a referral
        return False
    return sent >= settings.VILLAGE_REFERRALS_PER_ADDRESS_PER_HOUR


def experience_labels(referral: Referral) -> list[str]:
    labels = dict(ExperienceTag.choices)
    return [labels.get(tag, tag) for tag in referral.experience_wanted]


def signup_prefill(referral: Referral) -> dict:
    """Initial values for her sign-up form (kept in her session; ISO dates)."""
    pregnant = referral.stage == Stage.PREGNANT
    return {
        "email": referral.mum_email,
        "stage": referral.stage,
        "due_date": referral.due_date.isoformat() if pregnant and referral.due_date else "",
        "baby_birth_date": (
            referral.baby_birth_date.isoformat()
            if not pregnant and referral.baby_birth_date
            else ""
        ),
        "referral_source": referral.referrer_role,
    }
