"""Moderation actions. The audit log is written here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db import models

from accounts.models import User
from moderation.models import AuditAction, AuditEntry

__all__ = ["AuditAction", "Verdict", "record_audit", "screen_message"]


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


@dataclass(frozen=True)
class Verdict:
    """What happens to a message before it is stored."""

    action: Literal["publish", "hold", "block"]
    reason: str = ""


PUBLISH = Verdict("publish")


def screen_message(*, author: User, room_kind: str, body: str) -> Verdict:
    """Decide whether a message is published, held for review or blocked.

    Every message passes through here before it is stored. The keyword rules
    and detectors arrive with the moderation work; until then all is published.
    """
    return PUBLISH
