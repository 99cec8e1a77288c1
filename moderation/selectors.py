"""Reads for moderation pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from moderation.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None


def audit_entries(*, filters: AuditFilter) -> QuerySet[AuditEntry]:
    """Audit entries, newest first, narrowed by the coordinator's filters."""
    entries = AuditEntry.objects.select_related("actor")
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.actor:
        entries = entries.filter(actor__display_name__icontains=filters.actor)
    if filters.target:
        entries = entries.filter(target_label__icontains=filters.target)
    if filters.since:
        entries = entries.filter(created_at__date__gte=filters.since)
    if filters.until:
        entries = entries.filter(created_at__date__lte=filters.until)
    return entries
