"""Moderation records: rules, flags, reports, sanctions, site settings.

The audit log is the audit app's (audit.models.AuditEntry).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Level(models.TextChoices):
    RED = "RED", "Red: urgent"
    AMBER = "AMBER", "Amber: review soon"
    GREEN = "GREEN", "Green: no action"


# By level value: flags, rules and scanner matches hold their level as text.
LEVEL_ORDER: dict[str, int] = {Level.RED: 0, Level.AMBER: 1, Level.GREEN: 2}


class Rule(models.Model):
    """A term or phrase that flags a message, with what happens when it matches."""

    class Action(models.TextChoices):
        DEFAULT = "default", "The level's default"
        FLAG = "flag", "Publish and flag"
        HOLD = "hold", "Hold for review"
        BLOCK = "block", "Block (never published)"

    class AppliesTo(models.TextChoices):
        EVERYONE = "everyone", "Members and volunteers"
        MEMBERS = "members", "Members only"
        VOLUNTEERS = "volunteers", "Volunteers only"

    term = models.CharField(
        max_length=120,
        help_text="A word or phrase. Put * at either end to match inside longer words "
        "(kill* matches killing); without it, whole words only.",
    )
    category = models.SlugField(max_length=32)
    level = models.CharField(max_length=5, choices=Level.choices)
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.DEFAULT)
    exceptions = models.JSONField(
        default=list, blank=True, help_text="Phrases in which the term does not count."
    )
    rooms = models.ManyToManyField(
        "chat.Room", blank=True, related_name="+", help_text="Empty: every room."
    )
    applies_to = models.CharField(
        max_length=10, choices=AppliesTo.choices, default=AppliesTo.EVERYONE
    )
    enabled = models.BooleanField(default=True)
    built_in = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "term"]

    def __str__(self) -> str:
        return f"{self.term} ({self.category}, {self.level})"


class Flag(models.Model):
    """Something a human must look at: a matched message, a report, a concern."""

    class Source(models.TextChoices):
        SCANNER = "scanner", "Matched a rule"
        MODEL = "model", "The risk model"
        REPORT = "report", "Reported"
        CONCERN = "concern", "Concern raised by a volunteer"
        REFERRAL = "referral", "Referral's safety screen"
        MEASURE = "measure", "Questionnaire risk item"
        # A published message screening let through, marked by a coordinator.
        MISSED = "missed", "Missed by screening, marked by a coordinator"

    class Outcome(models.TextChoices):
        NO_ACTION = "no_action", "No action needed"
        SUPPORT_GIVEN = "support_given", "Support given"
        REFERRED = "referred", "Referred to GP, 111 or crisis team"
        SAFEGUARDING_REFERRAL = "safeguarding_referral", "Safeguarding referral made"

    source = models.CharField(max_length=8, choices=Source.choices)
    level = models.CharField(max_length=5, choices=Level.choices)
    category = models.SlugField(max_length=32)
    message = models.ForeignKey(
        "chat.Message", on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    room = models.ForeignKey(
        "chat.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flags_about",
        help_text="The person the flag is about (empty for a referral: she has no account yet).",
    )
    referral = models.ForeignKey(
        "intake.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="flags"
    )
    rules = models.ManyToManyField(Rule, blank=True, related_name="flags")
    # The risk model's probability per category when it screened the message
    # ({} when the model did not run), and which model that was.
    model_scores = models.JSONField(default=dict, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    detail = models.TextField(blank=True, help_text="What matched, or the concern in words.")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    realerted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=24, choices=Outcome.choices, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["resolved_at", "level"])]

    def __str__(self) -> str:
        return f"{self.level} flag {self.pk} ({self.category})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def model_reading(self) -> tuple[str, float] | None:
        """The risk model's most likely category and its probability, if it ran."""
        if not self.model_scores:
            return None
        category = max(self.model_scores, key=lambda c: self.model_scores[c])
        return category, float(self.model_scores[category])


class Label(models.Model):
    """A coordinator's verdict on what screening did with one message, kept for
    retraining the risk model (`manage.py retrain_risk_model`).

    Labels stay in this service's database: never written into the repository,
    the image, or anywhere else. A label is about the message's author
    (`subject`): it is in her data export, and deleted when she closes her
    account (moderation.services.forget_labels_about), as her message's words
    are; deleting the message deletes it too.
    """

    class Verdict(models.TextChoices):
        RIGHT = "right", "Right"
        WRONG_CATEGORY = "wrong_category", "Right concern, wrong category"
        NOT_A_RISK = "not_a_risk", "Not a risk"
        MISSED = "missed", "A missed risk"

    message = models.ForeignKey("chat.Message", on_delete=models.CASCADE, related_name="labels")
    # The flag resolved with this verdict; for a missed risk, the flag marking it raised.
    flag = models.ForeignKey(
        Flag, on_delete=models.SET_NULL, null=True, blank=True, related_name="labels"
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="labels_about"
    )
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    # What the message is: the flag's category when it was right, the one the
    # coordinator chose for a wrong category or a missed risk, "" when not a risk.
    category = models.SlugField(max_length=32, blank=True)
    # What screening said it was (the flag's category), "" for a missed risk.
    flagged_category = models.SlugField(max_length=32, blank=True)
    note = models.TextField(blank=True)
    labelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["flag"], condition=models.Q(flag__isnull=False), name="one_label_per_flag"
            ),
            models.UniqueConstraint(
                fields=["message"],
                condition=models.Q(verdict="missed"),
                name="one_missed_label_per_message",
            ),
        ]

    def __str__(self) -> str:
        return f"label {self.pk} ({self.verdict}) on message {self.message_id}"


class Report(models.Model):
    """A participant's report of a message. The reported person never learns who."""

    class Reason(models.TextChoices):
        WORRIED = "worried", "I'm worried about this person"
        HOSTILE = "hostile", "It's unkind or hostile"
        CONTACT = "contact", "It shares contact details"
        SPAM = "spam", "It's spam"
        OTHER = "other", "Something else"

    message = models.ForeignKey("chat.Message", on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=8, choices=Reason.choices)
    note = models.TextField(blank=True)
    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="reports")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="one_report_per_person")
        ]

    def __str__(self) -> str:
        return f"report {self.pk} of message {self.message_id}"


class Mute(models.Model):
    """A member muted in a room (or every room) until a time, or until reviewed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mutes"
    )
    room = models.ForeignKey(
        "chat.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    until = models.DateTimeField(null=True, blank=True, help_text="Empty: until reviewed.")
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"mute of user {self.user_id}"


class Warning(models.Model):
    """A private note from a coordinator to a member about her conduct."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="warnings"
    )
    note = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"warning {self.pk} to user {self.user_id}"


class SiteSettings(models.Model):
    """The service's own settings, edited by coordinators (one row)."""

    # [[weekday 0-6, "HH:MM", "HH:MM"], ...] in the service's time zone.
    staffed_hours = models.JSONField(default=list, blank=True)
    crisis_card_text = models.TextField(
        blank=True, help_text="One paragraph per line. Empty: the default text."
    )
    contact_rule_enabled = models.BooleanField(
        default=True, help_text="Hold messages that share contact details or move off Village."
    )
    off_hours_hide_after_reports = models.PositiveSmallIntegerField(default=3)
    off_hours_mute_after_reports = models.PositiveSmallIntegerField(default=5)
    # Only reports this recent count towards muting a member out of hours: old
    # grievances must not add up to a mute that nobody is awake to review.
    off_hours_report_window_hours = models.PositiveSmallIntegerField(default=24)
    model_enabled = models.BooleanField(
        default=True, help_text="Screen messages with the trained risk model beside the rules."
    )
    # {category: {"review": p, "red": p}}; a category left out keeps the
    # thresholds recommended with the model (moderation/model/risk_model.json).
    model_thresholds = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return "site settings"
