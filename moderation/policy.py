"""Who may do what in moderation. Views and templates ask here; nothing else decides."""

from __future__ import annotations

from accounts.policy import can_use_staff_pages


def can_view_audit_log(user) -> bool:
    return can_use_staff_pages(user)
