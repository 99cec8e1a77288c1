"""The retention rule for referrals that never led to an account.

A declined referral, or one accepted whose invitation was never used, keeps
the mum's contact details only as long as the service may need them: it is
anonymised in place VILLAGE_REFERRAL_RETENTION_DAYS after it closed, unless a
flag about it (its safety screen, a concern) is still open, which holds it
until resolved. The referral stays, without anything that identifies her or
her referrer, for the service's counts; one audit entry per referral records
it, with no personal data. Run by the periodic daily work with its own clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from audit.services import record_audit
from intake.audit_actions import IntakeAuditAction
from intake.models import Referral
from moderation.models import Flag

ANONYMISED_NAME = "Anonymised referral"


def closed_before_q(cutoff: datetime) -> Q:
    """Referrals that closed without an account before `cutoff`: declined then,
    or accepted with an invitation that expired then, unused."""
    declined = Q(status=Referral.Status.DECLINED, decided_at__lt=cutoff)
    never_used = Q(
        status=Referral.Status.ACCEPTED,
        member__isnull=True,
        invitation_expires_at__lt=cutoff,
    )
    return declined | never_used


def referrals_due_for_anonymising(*, now: datetime):
    cutoff = now - timedelta(days=settings.VILLAGE_REFERRAL_RETENTION_DAYS)
    open_flag = Flag.objects.filter(referral=OuterRef("pk"), resolved_at__isnull=True)
    return (
        Referral.objects.filter(closed_before_q(cutoff), anonymised_at__isnull=True)
        .filter(~Exists(open_flag))
        .order_by("pk")
    )


def anonymise_closed_referrals(*, now: datetime) -> int:
    """Anonymise every referral the retention rule has reached; returns how many."""
    done = 0
    for referral_id in list(referrals_due_for_anonymising(now=now).values_list("pk", flat=True)):
        with transaction.atomic():
            # Checked again under the lock: a flag may have been raised meanwhile.
            referral = (
                referrals_due_for_anonymising(now=now)
                .select_for_update(of=("self",))
                .filter(pk=referral_id)
                .first()
            )
            if referral is None:
                continue
            closed_as = referral.status
            referral.mum_name = ANONYMISED_NAME
            referral.mum_email = ""
            referral.mum_phone = ""
            referral.due_date = None
            referral.baby_birth_date = None
            referral.reason = ""
            referral.referrer_name = ""
            referral.referrer_email = ""
            referral.referrer_phone = ""
            referral.decline_reason = ""
            referral.signposting = ""
            referral.info_request = ""
            referral.invitation_token = None
            referral.anonymised_at = now
            referral.save()
            record_audit(
                actor=None,
                action=IntakeAuditAction.REFERRAL_ANONYMISED,
                target=referral,
                reason="retention: closed without an account",
                details={
                    "closed_as": closed_as,
                    "retention_days": settings.VILLAGE_REFERRAL_RETENTION_DAYS,
                },
            )
        done += 1
    return done
