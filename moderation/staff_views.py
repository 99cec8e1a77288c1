"""Coordinators' pages for the moderation rules and the service's settings.

Every write goes through `moderation.services` (`save_rule`,
`save_site_settings`), which check the policy again and write the audit log.
Rules are switched off, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.views import staff_page
from moderation import policy, risk_model, services
from moderation.crisis import DEFAULT_CRISIS_CARD, TEAM_TOLD, crisis_card
from moderation.forms import RuleSwitchForm
from moderation.models import Level, Rule
from moderation.protocols import RoomKind
from moderation.selectors import is_staffed, site_settings
from moderation.staff_forms import (
    KNOWN_CATEGORIES,
    RuleFilterForm,
    RuleForm,
    SiteSettingsForm,
    TryMessageForm,
    rooms_for_rules,
)

RULES_PER_PAGE = 50

OUTCOME_WORDS = {
    "publish": "Shared with the room as usual.",
    "flag": "Shared with the room, and flagged for a coordinator to look at.",
    "hold": "Held back: only the room's volunteers and the coordinators see it until "
    "someone decides.",
    "block": "Not shared with anyone in the room; kept for the team to read.",
}


def outcome(verdict: services.Verdict) -> str:
    """What happens to a message, in one word: publish, flag, hold or block.

    A verdict that publishes a RED or AMBER message is a flagged message.
    """
    if verdict.action == "publish":
        return "flag" if verdict.level in (Level.RED, Level.AMBER) else "publish"
    return verdict.action


def rules_page(view):
    """Staff pages (coordinators with MFA) for people the moderation policy lets manage rules."""

    @staff_page
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not policy.can_manage_rules(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def settings_page(view):
    @staff_page
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not policy.can_edit_site_settings(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- trying a message -------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    text: str
    marked: bool


@dataclass(frozen=True)
class TriedMatch:
    rule_id: int | None
    term: str
    category: str
    level: str
    part: str


@dataclass(frozen=True)
class TryResult:
    outcome: str
    outcome_words: str
    direct_outcome: str
    level: str | None
    category: str
    matches: tuple[TriedMatch, ...]
    segments: tuple[Segment, ...]
    # The model's reading, most likely first: (category, probability, what it does);
    # empty when the model is off.
    model: tuple[tuple[str, float, str], ...] = ()

    @property
    def crisis_card(self) -> bool:
        return self.level == Level.RED


def _segments(text: str, spans: list[tuple[int, int]]) -> tuple[Segment, ...]:
    """The text cut into plain and matched parts (overlapping matches merged)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        start, end = max(0, start), min(len(text), end)
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, position = [], 0
    for start, end in merged:
        if start > position:
            parts.append(Segment(text[position:start], False))
        parts.append(Segment(text[start:end], True))
        position = end
    if position < len(text):
        parts.append(Segment(text[position:], False))
    return tuple(parts)


def try_message(text: str) -> TryResult:
    """What the enabled rules and the model would do with `text` in a group room (and a 1:1)."""
    verdict = services.scan_text(text=text, room_kind=RoomKind.GROUP)
    direct = services.scan_text(text=text, room_kind=RoomKind.DIRECT)
    matches = tuple(
        TriedMatch(
            rule_id=match.rule if isinstance(match.rule, int) else None,
            term=match.term,
            category=match.category,
            level=match.level,
            part=text[match.start : match.end],
        )
        for match in sorted(verdict.rule_matches, key=lambda m: (m.start, m.end))
    )
    raised = {match.category: match for match in verdict.model_matches}

    def effect(category: str) -> str:
        match = raised.get(category)
        if match is None:
            return "below its review threshold"
        if match.action == Rule.Action.HOLD:
            return "held for the volunteers at AMBER"
        return f"raises {match.level}"

    model = tuple(
        (category, score, effect(category))
        for category, score in sorted((verdict.scores or {}).items(), key=lambda kv: -kv[1])
    )
    return TryResult(
        outcome=outcome(verdict),
        outcome_words=OUTCOME_WORDS[outcome(verdict)],
        direct_outcome=outcome(direct),
        level=verdict.level,
        category=verdict.category,
        matches=matches,
        segments=_segments(text, [(m.start, m.end) for m in verdict.rule_matches]),
        model=model,
    )


# --- rules ------------------------------------------------------------------------------------


def _categories() -> list[str]:
    return list(Rule.objects.order_by().values_list("category", flat=True).distinct())


@rules_page
def rules(request):
    """Every rule, filtered; a switch per row; and a box to try a message."""
    categories = _categories()
    filters = RuleFilterForm(request.GET or None, categories=categories)
    found = Rule.objects.order_by("category", "term", "id").prefetch_related(
        Prefetch("rooms", queryset=rooms_for_rules())
    )
    if filters.is_valid():
        if filters.cleaned_data["term"]:
            found = found.filter(term__icontains=filters.cleaned_data["term"])
        if filters.cleaned_data["category"]:
            found = found.filter(category=filters.cleaned_data["category"])
        if filters.cleaned_data["level"]:
            found = found.filter(level=filters.cleaned_data["level"])
        if filters.cleaned_data["state"]:
            found = found.filter(enabled=filters.cleaned_data["state"] == "on")
    tried = None
    try_form = TryMessageForm(request.POST or None)
    if request.method == "POST" and try_form.is_valid():
        tried = try_message(try_form.cleaned_data["text"])
    page = Paginator(found, RULES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "moderation/rules/list.html",
        {
            "filters": filters,
            "page": page,
            "try_form": try_form,
            "tried": tried,
            "query": query.urlencode(),
            "page_query": request.GET.urlencode(),
            "total": Rule.objects.count(),
        },
    )


def _rule_form_page(request, form: RuleForm, rule: Rule | None, saved_term: str = ""):
    return render(
        request,
        "moderation/rules/form.html",
        {
            "form": form,
            "rule": rule,
            "saved_term": saved_term,
            "categories": sorted(set(KNOWN_CATEGORIES) | set(_categories())),
        },
    )


@rules_page
def rule_new(request):
    form = RuleForm(request.POST or None, initial={"enabled": True})
    if request.method == "POST" and form.is_valid():
        rule = services.save_rule(
            actor=request.user,
            rule=form.instance,
            rooms=form.cleaned_data["rooms"],
            changed=list(form.fields),
        )
        messages.success(request, f"The rule for “{rule.term}” is saved and working now.")
        return redirect("moderation_rules")
    return _rule_form_page(request, form, None)


@rules_page
def rule_edit(request, rule_id: int):
    rule = get_object_or_404(Rule, pk=rule_id)
    # Validating the form writes the posted values onto `rule`; the heading keeps this.
    saved_term = rule.term
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        if not form.changed_data:
            messages.info(request, "Nothing changed, so there was nothing to save.")
            return redirect("moderation_rules")
        services.save_rule(
            actor=request.user,
            rule=form.instance,
            rooms=form.cleaned_data["rooms"] if "rooms" in form.changed_data else None,
            changed=form.changed_data,
        )
        messages.success(request, f"Your changes to the rule for “{rule.term}” are saved.")
        return redirect("moderation_rules")
    return _rule_form_page(request, form, rule, saved_term)


@rules_page
@require_POST
def rule_switch(request, rule_id: int):
    """Switch one rule on or off from the list (rules are never deleted)."""
    rule = get_object_or_404(Rule, pk=rule_id)
    switch = RuleSwitchForm(request.POST)
    if not switch.is_valid():
        messages.error(request, "That switch didn't work. Please try again from the list.")
        return redirect("moderation_rules")
    enabled = switch.cleaned_data["enabled"] == "on"
    if rule.enabled != enabled:
        rule.enabled = enabled
        services.save_rule(actor=request.user, rule=rule, changed=["enabled"])
    if enabled:
        messages.success(request, f"The rule for “{rule.term}” is on.")
    else:
        messages.success(request, f"The rule for “{rule.term}” is off. You can switch it on again.")
    # Back to the list as it was filtered (only the filters are carried back).
    posted = QueryDict(switch.cleaned_data["query"])
    filters = ("term", "category", "level", "state", "page")
    kept = urlencode({name: posted[name] for name in filters if posted.get(name)})
    url = reverse("moderation_rules")
    return redirect(f"{url}?{kept}" if kept else url)


# --- settings ---------------------------------------------------------------------------------


def _card_previews(text: str) -> dict:
    """The card as a mum would see it after a flagged message, in and out of staffed hours
    (as `selectors.crisis_card_for` builds it)."""
    paragraphs = tuple(p.strip() for p in text.splitlines() if p.strip()) or None
    return {
        "staffed": crisis_card(after_flag=True, staffed=True, paragraphs=paragraphs),
        "unstaffed": crisis_card(after_flag=True, staffed=False, paragraphs=paragraphs),
    }


@settings_page
def site_settings_page(request):
    row = site_settings()
    form = SiteSettingsForm(
        request.POST or None,
        settings_row=row,
        model_curves=risk_model.curves(),
        recommended=risk_model.recommended_thresholds(),
    )
    previewing = request.method == "POST" and "preview" in request.POST
    if request.method == "POST" and not previewing and form.is_valid():
        values = form.values()
        if not values:
            messages.info(request, "Nothing changed, so there was nothing to save.")
            return redirect("moderation_settings")
        services.save_site_settings(actor=request.user, values=values)
        messages.success(request, "The settings are saved.")
        text = values.get("crisis_card_text")
        if text and "999" not in text:
            messages.warning(
                request,
                "The crisis card no longer mentions 999. Please make sure it still says "
                "what to do in an emergency.",
            )
        return redirect("moderation_settings")
    if previewing and form.is_valid():
        preview_text = form.cleaned_data["crisis_card_text"]
    elif request.method == "POST":
        # Only text the form accepted is previewed (a NUL byte or a page-long
        # card is refused there, with its error beside the field).
        preview_text = form.cleaned_data.get("crisis_card_text", row.crisis_card_text)
    else:
        preview_text = row.crisis_card_text
    return render(
        request,
        "moderation/settings.html",
        {
            "form": form,
            "default_card": DEFAULT_CRISIS_CARD,
            "team_told": TEAM_TOLD,
            "previews": _card_previews(preview_text),
            "previewing": previewing,
            "staffed_now": is_staffed(),
        },
    )
