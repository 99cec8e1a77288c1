"""Writing to the audit log. Every entry goes through here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction

from audit.models import AuditEntry

# Any user model: the audit app sits below accounts and never imports it.
User = AbstractBaseUser


def record_audit(
    *,
    actor: User | None,
    action: str,
    target: models.Model | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log.

    `action` is a value from the calling app's audit_actions. Call inside the
    transaction of the action it records, so that the entry and the action
    commit (or roll back) together. Never put message bodies or safeguarding
    details themselves in `details`.
    """
    return AuditEntry.objects.create(
        # By id: this app knows the user model only as AUTH_USER_MODEL.
        actor_id=actor.pk if actor is not None else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        reason=reason,
        details=details or {},
    )


def record_sensitive_read(
    *, viewer: User, action: str, target: models.Model, details: dict[str, Any] | None = None
) -> AuditEntry:
    """One audit entry for a read of something private (a referral's contact
    details): who, what, when. Call before showing it."""
    with transaction.atomic():
        return record_audit(actor=viewer, action=action, target=target, details=details)
