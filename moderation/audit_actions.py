"""What moderation writes to the audit log: rules, site settings, flags,
concerns, warnings, mutes, suspensions, the 1:1 excerpts the queue shows, and
coordinators' verdicts on screening (labels).

The values are stored in AuditEntry.action and the audit log filters on
them: never change one. The labels are what the audit log page shows.
"""

from django.db import models

from audit.registry import register_actions


@register_actions
class ModerationAuditAction(models.TextChoices):
    RULE_CREATED = "rule_created", "Rule added"
    RULE_CHANGED = "rule_changed", "Rule changed"
    SETTINGS_CHANGED = "settings_changed", "Site settings changed"
    FLAG_ACKNOWLEDGED = "flag_acknowledged", "Flag acknowledged"
    FLAG_ESCALATED = "flag_escalated", "Flag escalated to coordinators"
    FLAG_RESOLVED = "flag_resolved", "Flag resolved"
    CONCERN_RAISED = "concern_raised", "Concern raised"
    MEMBER_WARNED = "member_warned", "Member warned"
    MEMBER_MUTED = "member_muted", "Member muted"
    MUTE_LIFTED = "mute_lifted", "Mute lifted"
    ACCOUNT_SUSPENDED = "account_suspended", "Account suspended"
    SUSPENSION_LIFTED = "suspension_lifted", "Suspension lifted"
    # A read of something private, written when it is shown (not asked for).
    DIRECT_EXCERPT_SEEN = "direct_excerpt_seen", "1:1 messages seen with a flag"
    # Coordinators' verdicts on screening, kept as labels for retraining.
    FLAG_LABELLED = "flag_labelled", "Flag's verdict recorded (was it right?)"
    MISSED_RISK_MARKED = "missed_risk_marked", "Message marked as a missed risk"
    DIRECT_MESSAGE_SEEN = "direct_message_seen", "1:1 message seen to mark a missed risk"
