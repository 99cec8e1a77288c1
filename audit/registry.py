"""The actions the audit log can record, as the apps that write them declare them.

Each app keeps a TextChoices of its own actions in `<app>/audit_actions.py`,
decorated with `register_actions`; the audit app imports those modules when
Django starts (AuditConfig.ready), so labels are known before any page shows.
"""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models

Actions = TypeVar("Actions", bound=type[models.TextChoices])

_labels: dict[str, str] = {}


def register_actions(choices: Actions) -> Actions:
    """Record an app's actions and their labels; refuses a value another app
    already declared (two meanings for one stored slug)."""
    for value, label in choices.choices:
        known = _labels.get(value)
        if known is not None and known != label:
            raise ImproperlyConfigured(f"Audit action {value!r} is declared twice.")
        _labels[value] = str(label)
    return choices


def action_label(action: str) -> str:
    """What the audit log shows for `action`: its label, or the stored slug
    itself for an action no app declares any more."""
    return _labels.get(action, action)


def action_choices() -> list[tuple[str, str]]:
    """Every declared action with its label, in the order the apps declared them."""
    return list(_labels.items())
