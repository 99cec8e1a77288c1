"""Moderation records. The audit log is append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditAction:
    """The actions the audit log records (slugs kept stable for filters)."""

    ROLE_CHANGED = "role_changed"
    INVITATION_SENT = "invitation_sent"
    INVITATION_ACCEPTED = "invitation_accepted"
    SAFEGUARDING_DETAILS_VIEWED = "safeguarding_details_viewed"
    HEALTH_CONSENT_GIVEN = "health_consent_given"
    HEALTH_CONSENT_WITHDRAWN = "health_consent_withdrawn"
    ROOM_CREATED = "room_created"
    ROOM_CHANGED = "room_changed"
    MEMBER_ENROLLED = "member_enrolled"
    MEMBER_REMOVED = "member_removed"
    LEAD_ASSIGNED = "lead_assigned"
    LEAD_UNASSIGNED = "lead_unassigned"
    JOIN_REQUEST_APPROVED = "join_request_approved"
    JOIN_REQUEST_DECLINED = "join_request_declined"
    PAIRING_CREATED = "pairing_created"
    PAIRING_ENDED = "pairing_ended"
    DIRECT_CHAT_OPENED = "direct_chat_opened"
    MESSAGE_RELEASED = "message_released"
    MESSAGE_BLOCKED = "message_blocked"
    MESSAGE_HIDDEN = "message_hidden"
    MESSAGE_RESTORED = "message_restored"
    RULE_CREATED = "rule_created"
    RULE_CHANGED = "rule_changed"
    SETTINGS_CHANGED = "settings_changed"
    FLAG_ACKNOWLEDGED = "flag_acknowledged"
    FLAG_ESCALATED = "flag_escalated"
    FLAG_RESOLVED = "flag_resolved"
    CONCERN_RAISED = "concern_raised"
    MEMBER_WARNED = "member_warned"
    MEMBER_MUTED = "member_muted"
    MUTE_LIFTED = "mute_lifted"
    ACCOUNT_SUSPENDED = "account_suspended"
    SUSPENSION_LIFTED = "suspension_lifted"
    DATA_EXPORTED = "data_exported"
    ACCOUNT_CLOSED = "account_closed"
    REFERRAL_SUBMITTED = "referral_submitted"
    REFERRAL_ACCEPTED = "referral_accepted"
    REFERRAL_INFO_REQUESTED = "referral_info_requested"
    REFERRAL_INFO_RECEIVED = "referral_info_received"
    REFERRAL_WAITLISTED = "referral_waitlisted"
    REFERRAL_DECLINED = "referral_declined"
    REFERRAL_JOINED = "referral_joined"
    REFERRAL_LINK_NOTICE = "referral_link_notice"
    REFERRER_TOLD_OUTCOME = "referrer_told_outcome"
    REFERRAL_ANONYMISED = "referral_anonymised"
    VOLUNTEER_STATUS_CHANGED = "volunteer_status_changed"
    VOLUNTEER_CHECKS_CHANGED = "volunteer_checks_changed"
    DBS_CHECK_RECORDED = "dbs_check_recorded"
    TRAINING_RECORDED = "training_recorded"
    REFERENCE_RECORDED = "reference_recorded"
    SUPERVISION_RECORDED = "supervision_recorded"
    DEBRIEF_REQUESTED = "debrief_requested"
    DEBRIEF_HANDLED = "debrief_handled"
    PAIRING_HANDED_OVER = "pairing_handed_over"
    REMINDER_SENT = "reminder_sent"
    # Reads of private things, written when they are shown (not asked for).
    DIRECT_EXCERPT_SEEN = "direct_excerpt_seen"
    REFERRAL_VIEWED = "referral_viewed"

    LABELS = {
        ROLE_CHANGED: "Role changed",
        INVITATION_SENT: "Invitation sent",
        INVITATION_ACCEPTED: "Invitation accepted",
        SAFEGUARDING_DETAILS_VIEWED: "Safeguarding details viewed",
        HEALTH_CONSENT_GIVEN: "Health-data consent given",
        HEALTH_CONSENT_WITHDRAWN: "Health-data consent withdrawn",
        ROOM_CREATED: "Room created",
        ROOM_CHANGED: "Room changed",
        MEMBER_ENROLLED: "Member enrolled",
        MEMBER_REMOVED: "Removed from a room",
        LEAD_ASSIGNED: "Lead volunteer assigned",
        LEAD_UNASSIGNED: "Lead volunteer unassigned",
        JOIN_REQUEST_APPROVED: "Join request approved",
        JOIN_REQUEST_DECLINED: "Join request declined",
        PAIRING_CREATED: "1:1 pairing made",
        PAIRING_ENDED: "1:1 pairing ended",
        DIRECT_CHAT_OPENED: "Someone else's 1:1 chat opened",
        MESSAGE_RELEASED: "Held message released",
        MESSAGE_BLOCKED: "Held message blocked",
        MESSAGE_HIDDEN: "Message hidden",
        MESSAGE_RESTORED: "Message restored",
        RULE_CREATED: "Rule added",
        RULE_CHANGED: "Rule changed",
        SETTINGS_CHANGED: "Site settings changed",
        FLAG_ACKNOWLEDGED: "Flag acknowledged",
        FLAG_ESCALATED: "Flag escalated to coordinators",
        FLAG_RESOLVED: "Flag resolved",
        CONCERN_RAISED: "Concern raised",
        MEMBER_WARNED: "Member warned",
        MEMBER_MUTED: "Member muted",
        MUTE_LIFTED: "Mute lifted",
        ACCOUNT_SUSPENDED: "Account suspended",
        SUSPENSION_LIFTED: "Suspension lifted",
        DATA_EXPORTED: "Own data downloaded",
        ACCOUNT_CLOSED: "Account closed and anonymised",
        REFERRAL_SUBMITTED: "Referral received",
        REFERRAL_ACCEPTED: "Referral accepted: invitation sent",
        REFERRAL_INFO_REQUESTED: "More information asked for",
        REFERRAL_INFO_RECEIVED: "More information received",
        REFERRAL_WAITLISTED: "Put on the waiting list",
        REFERRAL_DECLINED: "Referral declined with signposting",
        REFERRAL_JOINED: "Referred mum joined Village",
        REFERRAL_LINK_NOTICE: "Her sign-up link: please check with her",
        REFERRER_TOLD_OUTCOME: "Referrer told the outcome",
        VOLUNTEER_STATUS_CHANGED: "Volunteer status changed",
        VOLUNTEER_CHECKS_CHANGED: "Volunteer record changed",
        DBS_CHECK_RECORDED: "DBS check recorded",
        TRAINING_RECORDED: "Training recorded",
        REFERENCE_RECORDED: "Reference recorded",
        SUPERVISION_RECORDED: "Supervision recorded",
        DEBRIEF_REQUESTED: "Debrief requested",
        DEBRIEF_HANDLED: "Debrief arranged",
        PAIRING_HANDED_OVER: "1:1 pairing handed over",
        REMINDER_SENT: "Reminder sent to coordinators",
        DIRECT_EXCERPT_SEEN: "1:1 messages seen with a flag",
        REFERRAL_VIEWED: "Referral opened (her contact details)",
    }


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or delete an audit entry."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit entries cannot be changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    """Who did what, to whom or what, when and why.

    Written only by `moderation.services.record_audit`. On PostgreSQL a
    trigger (migration 0002) also refuses UPDATE and DELETE of rows.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
        help_text="Empty for actions the system took by itself.",
    )
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditLogIsAppendOnly("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit entries cannot be deleted.")

    @property
    def action_label(self) -> str:
        return AuditAction.LABELS.get(self.action, self.action)


class Level(models.TextChoices):
    RED = "RED", "Red: urgent"
    AMBER = "AMBER", "Amber: review soon"
    GREEN = "GREEN", "Green: no action"


LEVEL_ORDER = {Level.RED: 0, Level.AMBER: 1, Level.GREEN: 2}


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
        REPORT = "report", "Reported"
        CONCERN = "concern", "Concern raised by a volunteer"
        REFERRAL = "referral", "Referral's safety screen"
        MEASURE = "measure", "Questionnaire risk item"

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
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "site settings"

    def __str__(self) -> str:
        return "site settings"
