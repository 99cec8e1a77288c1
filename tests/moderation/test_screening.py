"""How the rules and the model decide together (moderation.screening; SAFEGUARDING.md)."""

from __future__ import annotations

import pytest

from moderation.scanner import Match
from moderation.screening import Thresholds, decide

THRESHOLDS = Thresholds(
    review={
        "self_harm": 0.5,
        "baby_harm": 0.5,
        "psychosis": 0.5,
        "abuse_dv": 0.5,
        "contact": 0.6,
        "hostility": 0.7,
    },
    red={"self_harm": 0.9, "baby_harm": 0.9, "psychosis": 0.9},
)
QUIET = dict.fromkeys(THRESHOLDS.review, 0.01)


def scores(**given: float) -> dict[str, float]:
    return {**QUIET, **given}


def rule(category: str, level: str, action: str = "default") -> Match:
    return Match(
        rule=7, term="a term", category=category, level=level, action=action, start=0, end=6
    )


def test_below_every_review_threshold_the_model_adds_nothing():
    verdict = decide([], room_kind="group", scores=scores(self_harm=0.49), thresholds=THRESHOLDS)
    assert (verdict.action, verdict.level, verdict.matches) == ("publish", None, ())
    assert verdict.scores["self_harm"] == 0.49  # kept for the record, though nothing matched


def test_the_model_alone_raises_amber_at_its_review_threshold():
    verdict = decide(
        [], room_kind="group", scores=scores(abuse_dv=0.5), thresholds=THRESHOLDS, length=20
    )
    assert (verdict.action, verdict.level, verdict.category) == ("publish", "AMBER", "abuse_dv")
    (match,) = verdict.model_matches
    assert (match.rule, match.source, match.score, match.end) == (
        "model:abuse_dv",
        "model",
        0.5,
        20,
    )
    assert verdict.needs_flag and not verdict.needs_crisis_card


@pytest.mark.parametrize("category", ["self_harm", "psychosis"])
def test_above_the_red_threshold_self_harm_and_psychosis_are_red_and_held_in_a_group(category):
    verdict = decide(
        [], room_kind="group", scores=scores(**{category: 0.95}), thresholds=THRESHOLDS
    )
    assert (verdict.action, verdict.level, verdict.category) == ("hold", "RED", category)
    assert verdict.needs_crisis_card
    direct = decide(
        [], room_kind="direct", scores=scores(**{category: 0.95}), thresholds=THRESHOLDS
    )
    assert (direct.action, direct.level) == (
        "publish",
        "RED",
    )  # delivered to her volunteer, flagged


def test_baby_harm_above_the_red_threshold_is_held_for_the_volunteers_at_amber():
    verdict = decide([], room_kind="group", scores=scores(baby_harm=0.95), thresholds=THRESHOLDS)
    assert (verdict.action, verdict.level, verdict.category) == ("hold", "AMBER", "baby_harm")
    assert not verdict.needs_crisis_card


def test_a_rule_reading_intent_still_makes_baby_harm_red():
    verdict = decide(
        [rule("baby_harm", "RED")],
        room_kind="group",
        scores=scores(baby_harm=0.95),
        thresholds=THRESHOLDS,
    )
    assert (verdict.action, verdict.level) == ("hold", "RED")


def test_a_rules_level_stands_when_the_model_scores_low():
    verdict = decide(
        [rule("self_harm", "RED")], room_kind="group", scores=QUIET, thresholds=THRESHOLDS
    )
    assert (verdict.action, verdict.level, verdict.category) == ("hold", "RED", "self_harm")
    assert verdict.rule_matches and not verdict.model_matches


def test_the_model_raises_above_a_rules_amber_but_never_lowers_it():
    raised = decide(
        [rule("self_harm", "AMBER")],
        room_kind="group",
        scores=scores(self_harm=0.95),
        thresholds=THRESHOLDS,
    )
    assert raised.level == "RED"
    kept = decide(
        [rule("hostility", "AMBER")], room_kind="group", scores=QUIET, thresholds=THRESHOLDS
    )
    assert kept.level == "AMBER"


def test_contact_from_the_model_is_held_for_review_like_a_contact_rule():
    verdict = decide([], room_kind="group", scores=scores(contact=0.8), thresholds=THRESHOLDS)
    assert (verdict.action, verdict.level, verdict.category) == ("hold", "AMBER", "contact")
    assert "doesn't share phone numbers" in verdict.notice


def test_without_scores_the_rules_decide_alone():
    verdict = decide([rule("hostility", "AMBER")], room_kind="group")
    assert (verdict.action, verdict.level, verdict.scores) == ("publish", "AMBER", None)


def test_thresholds_round_trip_through_the_settings_json():
    assert Thresholds.from_json(THRESHOLDS.as_json()) == THRESHOLDS
