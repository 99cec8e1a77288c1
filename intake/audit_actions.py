"""What intake writes to the audit log: a referral's steps, from the form to
her joining or the referral being anonymised, and each time it is opened.

The values are stored in AuditEntry.action and the audit log filters on
them: never change one. The labels are what the audit log page shows.
"""

from django.db import models

from audit.registry import register_actions


@register_actions
class IntakeAuditAction(models.TextChoices):
    REFERRAL_SUBMITTED = "referral_submitted", "Referral received"
    REFERRAL_ACCEPTED = "referral_accepted", "Referral accepted: invitation sent"
    REFERRAL_INFO_REQUESTED = "referral_info_requested", "More information asked for"
    REFERRAL_INFO_RECEIVED = "referral_info_received", "More information received"
    REFERRAL_WAITLISTED = "referral_waitlisted", "Put on the waiting list"
    REFERRAL_DECLINED = "referral_declined", "Referral declined with signposting"
    REFERRAL_JOINED = "referral_joined", "Referred mum joined Village"
    REFERRAL_LINK_NOTICE = "referral_link_notice", "Her sign-up link: please check with her"
    REFERRER_TOLD_OUTCOME = "referrer_told_outcome", "Referrer told the outcome"
    REFERRAL_ANONYMISED = "referral_anonymised", "Referral anonymised"
    # A read of something private, written when it is shown (not asked for).
    REFERRAL_VIEWED = "referral_viewed", "Referral opened (her contact details)"
