"""Referrals: how a mum comes to Village, from a professional or herself."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Language, ReferralSource, Stage, SupportWanted
from intake.screen import SCREEN_QUESTIONS


class ConsentGivenBy(models.TextChoices):
    MUM = "mum", "The mum herself, filling in this form"
    MUM_TO_REFERRER = "mum_to_referrer", "The mum, who told the person referring her"


class Referral(models.Model):
    """One referral, from its arrival on the public form to the mum joining.

    Every step (submitted, accepted, declined, ...) is an audit entry whose
    target is the referral: that is its timeline, with who and when.
    """

    class Status(models.TextChoices):
        NEW = "new", "New"
        INFO_REQUESTED = "info_requested", "More information asked for"
        WAITING = "waiting", "On the waiting list"
        ACCEPTED = "accepted", "Accepted: invitation sent"
        DECLINED = "declined", "Declined"
        JOINED = "joined", "Joined Village"

    class Urgency(models.IntegerChoices):
        RED = 0, "Urgent: safety screen"
        ROUTINE = 1, "Routine"

    # Who is referring.
    referrer_role = models.CharField(max_length=32, choices=ReferralSource.choices)
    referrer_name = models.CharField(max_length=120, blank=True)
    referrer_organisation = models.CharField(max_length=160, blank=True)
    referrer_email = models.EmailField(blank=True)
    referrer_phone = models.CharField(max_length=32, blank=True)
    # The mum.
    mum_name = models.CharField(max_length=120)
    mum_email = models.EmailField()
    mum_phone = models.CharField(max_length=32, blank=True)
    stage = models.CharField(max_length=16, choices=Stage.choices)
    due_date = models.DateField(null=True, blank=True)
    baby_birth_date = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    interpreter_needed = models.BooleanField(default=False)
    support_wanted = models.CharField(max_length=12, choices=SupportWanted.choices)
    experience_wanted = models.JSONField(default=list, blank=True)
    reason = models.TextField(max_length=1000)
    eligible = models.BooleanField(default=True)
    # The safety screen.
    screen_suicide_plan = models.BooleanField(default=False)
    screen_psychosis = models.BooleanField(default=False)
    screen_baby_harm = models.BooleanField(default=False)
    screen_unsafe_at_home = models.BooleanField(default=False)
    # Consent: to be contacted and for her data to be held (both required), and
    # whether the person referring may be told the outcome.
    consent_contact = models.BooleanField(default=False)
    consent_data = models.BooleanField(default=False)
    consent_share_outcome = models.BooleanField(default=False)
    consent_given_by = models.CharField(max_length=16, choices=ConsentGivenBy.choices)
    # Triage.
    urgency = models.PositiveSmallIntegerField(
        choices=Urgency.choices, default=Urgency.ROUTINE, db_index=True
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    waiting_since = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(blank=True, max_length=1000)
    signposting = models.TextField(blank=True, max_length=3000)
    info_request = models.TextField(blank=True, max_length=1000)
    invitation_token = models.CharField(max_length=64, unique=True, null=True, blank=True)
    invitation_expires_at = models.DateTimeField(null=True, blank=True)
    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referral",
    )
    # The one-time token issued with the public form: a second press of "Send"
    # (or a resend after a reload) finds this referral instead of storing another.
    submission_token = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    # Set when the retention rule removed what identifies her (intake.retention).
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["urgency", "created_at"]

    def __str__(self) -> str:
        # No names: referral labels reach the audit log.
        return f"referral {self.pk}"

    @property
    def is_self_referral(self) -> bool:
        return self.referrer_role == ReferralSource.SELF

    @property
    def screen_answers(self) -> list[tuple[str, bool]]:
        return [(question, getattr(self, field)) for field, question in SCREEN_QUESTIONS]

    @property
    def screened_positive(self) -> bool:
        return self.urgency == self.Urgency.RED

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NEW, self.Status.INFO_REQUESTED, self.Status.WAITING)

    @property
    def invitation_is_usable(self) -> bool:
        return (
            self.status == self.Status.ACCEPTED
            and self.invitation_token is not None
            and self.invitation_expires_at is not None
            and self.invitation_expires_at > timezone.now()
        )
