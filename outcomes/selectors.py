"""Reads of outcome measures: which are in use, their wording, what she is asked now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from django.db.models import Q, QuerySet
from django.utils import timezone

from chat.models import Membership, Session
from outcomes.measures import BUILT_IN, Measure, measure
from outcomes.models import Feedback, MeasureWording, OutcomeSettings, Questionnaire

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_MEASURES = ["phq9", "gad7"]


def outcome_settings() -> OutcomeSettings:
    """The service's choices (PHQ-9 and GAD-7 every 6 weeks until a coordinator chooses)."""
    return OutcomeSettings.objects.first() or OutcomeSettings(
        measures=list(DEFAULT_MEASURES), follow_up_weeks=6
    )


def wording_for(slug: str) -> MeasureWording | None:
    """The latest wording entered for a licensed measure."""
    return MeasureWording.objects.filter(measure=slug).order_by("-entered_at", "-id").first()


@dataclass(frozen=True)
class ItemToAsk:
    number: int
    text: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Wording:
    """What the member reads: the stem and each item with its options."""

    stem: str
    items: tuple[ItemToAsk, ...]


def wording(definition: Measure) -> Wording | None:
    """The measure's wording, or None while a licensed measure has none entered."""
    if not definition.licensed:
        return Wording(
            stem=definition.stem,
            items=tuple(
                ItemToAsk(n, text, definition.option_labels)
                for n, text in enumerate(definition.item_texts, start=1)
            ),
        )
    entered = wording_for(definition.slug)
    if entered is None:
        return None
    return Wording(
        stem=entered.stem,
        items=tuple(
            ItemToAsk(n, item["text"], tuple(item["options"]))
            for n, item in enumerate(entered.items, start=1)
        ),
    )


def can_be_sent(slug: str) -> bool:
    """A licensed measure cannot be sent before its wording is entered."""
    return wording(measure(slug)) is not None


def measures_in_use() -> list[Measure]:
    """The service's chosen measures that can be sent now."""
    return [
        BUILT_IN[slug]
        for slug in outcome_settings().measures
        if slug in BUILT_IN and can_be_sent(slug)
    ]


def in_live_session(member: User) -> bool:
    """Whether a group session of one of her rooms is open right now."""
    rooms = Membership.objects.filter(user=member, removed_at__isnull=True).values("room_id")
    return Session.objects.filter(room_id__in=rooms, closed_at__isnull=True).exists()


@dataclass(frozen=True)
class Prompts:
    questionnaires: list[Questionnaire]
    feedback: list[Feedback]

    def __bool__(self) -> bool:
        return bool(self.questionnaires or self.feedback)


_Prompt = TypeVar("_Prompt", Questionnaire, Feedback)


def _due(rows: QuerySet[_Prompt], now: datetime) -> QuerySet[_Prompt]:
    return rows.filter(completed_at__isnull=True, due_at__lte=now).filter(
        Q(postponed_until__isnull=True) | Q(postponed_until__lte=now)
    )


def due_prompts(*, member: User, now: datetime | None = None) -> Prompts:
    """What to ask her now: due, not postponed, and never while a session of hers
    is live (the prompt waits; it never interrupts a chat)."""
    now = now or timezone.now()
    if in_live_session(member):
        return Prompts([], [])
    questionnaires = [
        q
        for q in _due(Questionnaire.objects.filter(member=member), now)
        if q.measure in BUILT_IN and can_be_sent(q.measure)
    ]
    feedback = list(_due(Feedback.objects.filter(member=member), now))
    return Prompts(questionnaires, feedback)


@dataclass(frozen=True)
class ScoreLine:
    """One of her scores over time, described kindly."""

    label: str
    points: list[tuple[datetime, int]]
    higher_is_better: bool
    change: int | None

    @property
    def summary(self) -> str:
        if len(self.points) < 2 or self.change is None:
            return "Once you have answered again, you'll see how it has changed."
        first, last = self.points[0][1], self.points[-1][1]
        if self.change == 0:
            return f"Your score is the same as when you started ({last})."
        better = (self.change > 0) == self.higher_is_better
        direction = "up" if self.change > 0 else "down"
        meaning = "higher" if self.higher_is_better else "lower"
        if better:
            return (
                f"Your score went {direction} from {first} to {last}. On this questionnaire "
                f"{meaning} means you've been feeling better. Well done for keeping going."
            )
        return (
            f"Your score went {direction} from {first} to {last}. Hard weeks happen, and "
            "they are not your fault. Your volunteer or a coordinator is there if you'd "
            "like to talk about it."
        )


def member_scores(*, member: User) -> list[ScoreLine]:
    done = Questionnaire.objects.filter(member=member, completed_at__isnull=False).order_by(
        "completed_at"
    )
    lines = []
    for slug, definition in BUILT_IN.items():
        rows = [q for q in done if q.measure == slug]
        for score_name in definition.scores:
            points: list[tuple[datetime, int]] = []
            for q in rows:
                value = q.score(score_name)
                if q.completed_at is not None and value is not None:
                    points.append((q.completed_at, value))
            if not points:
                continue
            change = points[-1][1] - points[0][1] if len(points) > 1 else None
            lines.append(
                ScoreLine(
                    label=definition.score_label(score_name),
                    points=points,
                    higher_is_better=definition.higher_is_better,
                    change=change,
                )
            )
    return lines
