"""How the rules and the model decide together (SAFEGUARDING.md), with no database.

`decide` turns the rules' matches and the model's scores into one `Verdict`:

- a rule's level stands: the model never lowers what a rule found;
- the model alone raises AMBER at or above a category's review threshold;
- at or above its higher, calibrated threshold it raises RED for self_harm
  and psychosis; for baby_harm it holds the message for the volunteers at
  AMBER, because intrusive thoughts are common and a human must judge intent
  (a rule that reads clear intent still makes it RED).

`services.scan_text` feeds it the rules in the database and the site's
thresholds; `manage.py eval_moderation` the default rules and the
recommended thresholds; both give the same answer for the same inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from moderation.corpus import RISK_CATEGORIES
from moderation.models import LEVEL_ORDER, Level, Rule
from moderation.protocols import RoomKind
from moderation.scanner import Match

# Categories whose model score alone may reach RED (above its red threshold).
MODEL_RED = ("self_harm", "psychosis")
# ... and whose red threshold holds the message at AMBER instead.
MODEL_HOLD = ("baby_harm",)


def model_rule(category: str) -> str:
    """The `rule` of a model match, as rule ids are for rules: "model:self_harm"."""
    return f"model:{category}"


@dataclass(frozen=True)
class Thresholds:
    """Per category: the model's review threshold, and for some a higher one."""

    review: Mapping[str, float]
    red: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, float]]) -> Thresholds:
        return cls(
            review={c: float(v["review"]) for c, v in data.items() if "review" in v},
            red={c: float(v["red"]) for c, v in data.items() if v.get("red") is not None},
        )

    def as_json(self) -> dict[str, dict[str, float]]:
        return {
            category: {
                "review": self.review[category],
                **({"red": self.red[category]} if category in self.red else {}),
            }
            for category in RISK_CATEGORIES
            if category in self.review
        }


@dataclass(frozen=True)
class Verdict:
    """What happens to a message before it is stored, and what follows."""

    action: Literal["publish", "hold", "block"]
    level: str | None = None
    category: str = ""
    matches: tuple[Match, ...] = ()
    # The model's probability per category, when it ran (it may have matched nothing).
    scores: Mapping[str, float] | None = None

    @property
    def needs_flag(self) -> bool:
        return self.level in (Level.RED, Level.AMBER) or self.action != "publish"

    @property
    def needs_crisis_card(self) -> bool:
        return self.level == Level.RED

    @property
    def rule_matches(self) -> tuple[Match, ...]:
        return tuple(match for match in self.matches if match.score is None)

    @property
    def model_matches(self) -> tuple[Match, ...]:
        return tuple(match for match in self.matches if match.score is not None)

    @property
    def notice(self) -> str:
        """What the author is told, kindly, when her message is not simply published."""
        if self.action == "block":
            return (
                "This message wasn't shared with the room. It has been kept for the team to "
                "read, and a coordinator may be in touch."
            )
        if self.action == "hold" and self.category == "contact":
            return (
                "To keep everyone safe, Village doesn't share phone numbers, emails, addresses "
                "or social media, or arrange to meet elsewhere. A coordinator will look at your "
                "message before it is shared."
            )
        if self.action == "hold":
            return "Your message has been shared with the volunteers, who will read it soon."
        return ""


PUBLISH = Verdict("publish")


def default_action(match: Match, room_kind: str) -> str:
    """SAFEGUARDING.md's table for one match; `room_kind` is a RoomKind value."""
    if match.action != Rule.Action.DEFAULT:
        return match.action
    if match.category == "contact":
        return "hold"
    if match.level == Level.RED:
        return "hold" if room_kind == RoomKind.GROUP else "flag"
    if match.level == Level.AMBER:
        return "flag"
    return "none"


def model_matches(
    scores: Mapping[str, float], thresholds: Thresholds, *, length: int
) -> list[Match]:
    """The model's own matches: one per category at or above its review threshold."""
    found = []
    for category in RISK_CATEGORIES:
        score = scores.get(category, 0.0)
        review = thresholds.review.get(category)
        if review is None or score < review:
            continue
        red = thresholds.red.get(category)
        level, action = Level.AMBER, Rule.Action.DEFAULT
        if red is not None and score >= red and category in MODEL_RED:
            level = Level.RED
        elif red is not None and score >= red and category in MODEL_HOLD:
            action = Rule.Action.HOLD
        found.append(
            Match(
                rule=model_rule(category),
                term="",
                category=category,
                level=level,
                action=action,
                start=0,
                end=length,
                score=round(float(score), 4),
            )
        )
    return found


def decide(
    rule_matches: Sequence[Match],
    *,
    room_kind: str,
    scores: Mapping[str, float] | None = None,
    thresholds: Thresholds | None = None,
    length: int = 0,
) -> Verdict:
    """One verdict from the rules' matches and, when given, the model's scores."""
    matches = list(rule_matches)
    if scores is not None and thresholds is not None:
        matches.extend(model_matches(scores, thresholds, length=length))
    if not matches:
        return Verdict("publish", scores=scores) if scores is not None else PUBLISH
    top = min(matches, key=lambda m: LEVEL_ORDER.get(m.level, 9))
    actions = {default_action(m, room_kind) for m in matches}
    action: Literal["publish", "hold", "block"] = (
        "block" if "block" in actions else "hold" if "hold" in actions else "publish"
    )
    held = [m for m in matches if default_action(m, room_kind) in ("hold", "block")]
    category = (min(held, key=lambda m: LEVEL_ORDER.get(m.level, 9)) if held else top).category
    if top.level == Level.GREEN and action == "publish":
        return Verdict("publish", Level.GREEN, top.category, tuple(matches), scores)
    return Verdict(action, top.level, category, tuple(matches), scores)
