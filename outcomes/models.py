"""Outcome measures and feedback, asked at the start, every few weeks and at the end.

A `Questionnaire` is one asking of one measure at one point of her time with
Village; her answers are stored item by item (`Answer`) with the measure's
version. `Feedback` is the short survey asked at the same ends.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Occasion(models.TextChoices):
    BASELINE = "baseline", "At the start"
    FOLLOW_UP = "follow_up", "Follow-up"
    END = "end", "At the end"


class OutcomeSettings(models.Model):
    """The service's choices (one row): which measures it uses, how often."""

    measures = models.JSONField(default=list, blank=True, help_text="Slugs of measures in use.")
    follow_up_weeks = models.PositiveSmallIntegerField(default=6)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "outcome settings"

    def __str__(self) -> str:
        return "outcome settings"


class MeasureWording(models.Model):
    """A licensed measure's wording, entered from the service's own licensed copy."""

    measure = models.SlugField(max_length=16)
    version = models.CharField(max_length=16)
    stem = models.TextField(blank=True, max_length=1000)
    # [{"text": "...", "options": ["...", ...]}, ...] in item order; options in
    # the printed order.
    items = models.JSONField()
    licence = models.CharField(
        max_length=200,
        blank=True,
        help_text="The licence or permission this wording is used under.",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measure", "version"], name="one_wording_per_version")
        ]

    def __str__(self) -> str:
        return f"wording of {self.measure} v{self.version}"


class Questionnaire(models.Model):
    """One measure asked of one member at one point (due, postponed, or done)."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="questionnaires"
    )
    measure = models.SlugField(max_length=16)
    version = models.CharField(max_length=16)
    occasion = models.CharField(max_length=12, choices=Occasion.choices)
    # What the end is the end of (also what a follow-up belongs to, for reports).
    pairing = models.ForeignKey(
        "chat.Pairing", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    room = models.ForeignKey(
        "chat.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(default=timezone.now, db_index=True)
    postponed_until = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    total = models.IntegerField(null=True, blank=True)
    subscale_scores = models.JSONField(default=dict, blank=True)
    band = models.CharField(max_length=40, blank=True)
    risk_flag = models.ForeignKey(
        "moderation.Flag", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "measure", "occasion"],
                condition=Q(occasion="baseline"),
                name="one_baseline_per_measure",
            ),
            models.UniqueConstraint(
                fields=["member", "measure"],
                condition=Q(completed_at__isnull=True),
                name="one_open_questionnaire_per_measure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure} ({self.occasion}) for member {self.member_id}"

    def score(self, name: str) -> int | None:
        return self.total if name == "total" else self.subscale_scores.get(name)


class Answer(models.Model):
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="answers"
    )
    item = models.PositiveSmallIntegerField()
    # The option chosen, by its printed position (0-based); None if she skipped it.
    position = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["questionnaire", "item"]
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "item"], name="one_answer_per_item")
        ]

    def __str__(self) -> str:
        return f"answer to item {self.item} of questionnaire {self.questionnaire_id}"


class Agreement(models.TextChoices):
    AGREE = "agree", "Agree"
    NEITHER = "neither", "Neither agree nor disagree"
    DISAGREE = "disagree", "Disagree"


class Feedback(models.Model):
    """The short survey at an end: four statements, would she recommend, a comment."""

    STATEMENTS = (
        ("less_isolated", "I feel less isolated"),
        ("know_where_help", "I know where to get help"),
        ("someone_understood", "I felt there was someone who understood me"),
        ("use_other_services", "I use other services more"),
    )

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feedback"
    )
    pairing = models.ForeignKey(
        "chat.Pairing", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    room = models.ForeignKey(
        "chat.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(default=timezone.now)
    postponed_until = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    less_isolated = models.CharField(max_length=8, choices=Agreement.choices, blank=True)
    know_where_help = models.CharField(max_length=8, choices=Agreement.choices, blank=True)
    someone_understood = models.CharField(max_length=8, choices=Agreement.choices, blank=True)
    use_other_services = models.CharField(max_length=8, choices=Agreement.choices, blank=True)
    # 0 (not at all likely) to 10 (extremely likely).
    recommend = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, max_length=2000)
    comment_shareable = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"feedback {self.pk} from member {self.member_id}"
