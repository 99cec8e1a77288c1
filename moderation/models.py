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
