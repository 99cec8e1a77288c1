"""Who may do what with outcome measures. Views and templates ask here; nothing else decides."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.models import Role
from accounts.policy import can_use_staff_pages, is_active_person

if TYPE_CHECKING:
    from accounts.policy import AnyUser


def can_answer_questionnaires(user: AnyUser) -> bool:
    return is_active_person(user) and user.role == Role.MEMBER


def can_manage_measures(user: AnyUser) -> bool:
    """Choose the service's measures and enter a licensed measure's wording."""
    return can_use_staff_pages(user)


def can_view_reports(user: AnyUser) -> bool:
    """The coordinators' reports: aggregate figures, small numbers hidden (outcomes.reports)."""
    return can_use_staff_pages(user)
