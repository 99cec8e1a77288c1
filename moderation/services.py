"""Moderation actions. The audit log is written here and nowhere else."""

from __future__ import annotations

from typing import Any

from django.db import models

from accounts.models import User
from moderation.models import AuditAction, AuditEntry

__all__ = ["AuditAction", "record_audit"]


def record_audit(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log.

    Call inside the transaction of the action it records, so that the entry
    and the action commit (or roll back) together. Never put message bodies
    or safeguarding details themselves in `details`.
    """
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        reason=reason,
        details=details or {},
    )
