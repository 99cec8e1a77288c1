"""The rules as one scanner, rebuilt when they change, in every process.

Each process keeps its scanner and checks, at most once a second, a version
of the rule set read from the database (how many rules, when one last
changed, and the contact setting): a change made in any process is seen by
all within a second.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from django.db.models import Count, Max

from moderation.models import Rule, SiteSettings
from moderation.scanner import CONTACT_DETECTORS, RISK_DETECTORS, RuleSpec, Scanner

CHECK_EVERY = 1.0


@dataclass(frozen=True)
class RuleScope:
    room_ids: frozenset[int]  # empty: every room
    applies_to: str


@dataclass(frozen=True)
class RuleSet:
    scanner: Scanner
    scopes: dict[int | str, RuleScope]
    # The site's model settings, read with the rules: no query per message.
    model_enabled: bool = True
    model_thresholds: dict = field(default_factory=dict)


_lock = threading.Lock()
_current: dict = {"version": None, "checked": 0.0, "ruleset": None}


def _version() -> tuple:
    stats = Rule.objects.aggregate(count=Count("id"), changed=Max("updated_at"))
    settings_row = (
        SiteSettings.objects.values(
            "contact_rule_enabled", "model_enabled", "model_thresholds", "updated_at"
        ).first()
        or {}
    )
    return (stats["count"], stats["changed"], tuple(sorted(settings_row.items())))


def _build() -> RuleSet:
    rules = Rule.objects.filter(enabled=True).prefetch_related("rooms")
    service = SiteSettings.objects.first() or SiteSettings()
    contact = service.contact_rule_enabled
    specs, scopes = [], {}
    for rule in rules:
        if rule.category == "contact" and not contact:
            continue
        specs.append(
            RuleSpec(
                id=rule.pk,
                term=rule.term,
                category=rule.category,
                level=rule.level,
                action=rule.action,
                exceptions=tuple(rule.exceptions or ()),
            )
        )
        scopes[rule.pk] = RuleScope(frozenset(r.pk for r in rule.rooms.all()), rule.applies_to)
    # The built-in detectors (contact details, risk emoji) apply in every room, to everyone.
    for detector in (*CONTACT_DETECTORS, *RISK_DETECTORS):
        scopes[detector] = RuleScope(frozenset(), Rule.AppliesTo.EVERYONE)
    return RuleSet(
        scanner=Scanner(specs, detect_contact=contact),
        scopes=scopes,
        model_enabled=service.model_enabled,
        model_thresholds=dict(service.model_thresholds or {}),
    )


def current() -> RuleSet:
    """The scanner for the rules as they are now (within a second)."""
    now = time.monotonic()
    with _lock:
        if _current["ruleset"] is not None and now - _current["checked"] < CHECK_EVERY:
            return _current["ruleset"]
    version = _version()
    with _lock:
        _current["checked"] = now
        if _current["ruleset"] is None or _current["version"] != version:
            _current["ruleset"] = _build()
            _current["version"] = version
        return _current["ruleset"]


def forget() -> None:
    """Drop the cached scanner (tests change rules faster than once a second)."""
    with _lock:
        _current.update(version=None, checked=0.0, ruleset=None)
