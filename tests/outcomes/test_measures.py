"""Worked examples for the scoring of the built-in outcome measures.

Every expected value below is computed by hand in the comments. Positions are
0-based in printed order; a reverse-scored item prints from its highest score
down, so position p on a 0-3 reverse item scores 3 - p.

Plain functions: no database.
"""

from __future__ import annotations

import pytest

from outcomes.measures import (
    BUILT_IN,
    EPDS,
    FREQUENCY,
    GAD7,
    HADS,
    PHQ9,
    WEMWBS,
    Measure,
    measure,
    score,
)

ANXIETY = (1, 3, 5, 7, 9, 11, 13)
DEPRESSION = (2, 4, 6, 8, 10, 12, 14)


def position_for(m: Measure, item: int, item_score: int) -> int:
    """The printed position that gives `item` the score `item_score`."""
    position = item_score - m.lowest_item_score
    if item in m.reverse_items:
        position = m.option_count - 1 - position
    return position


def positions_for(m: Measure, scores: dict[int, int | None]) -> dict[int, int | None]:
    return {item: None if s is None else position_for(m, item, s) for item, s in scores.items()}


def spread(items: tuple[int, ...], total: int, top: int = 3) -> dict[int, int]:
    """Item scores adding up to `total`: fill items with `top` in turn, remainder last."""
    scores = {}
    left = total
    for item in items:
        scores[item] = min(top, left)
        left -= scores[item]
    assert left == 0, "total too large for these items"
    return scores


# --- the helpers themselves, checked by hand ---------------------------------------


def test_position_for_worked_examples():
    # PHQ-9 item 1 is forward: score 2 is printed position 2.
    assert position_for(PHQ9, 1, 2) == 2
    # EPDS item 3 is reverse: score 3 is printed first (position 0).
    assert position_for(EPDS, 3, 3) == 0
    # WEMWBS scores 1-5: score 1 is position 0, score 5 is position 4.
    assert position_for(WEMWBS, 1, 1) == 0
    assert position_for(WEMWBS, 1, 5) == 4


def test_spread_worked_example():
    # 7 over three items: 3 + 3 + 1.
    assert spread((1, 2, 3), 7) == {1: 3, 2: 3, 3: 1}


# --- the definitions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("m", "items", "options", "lowest", "highest", "reverse", "risk"),
    [
        (PHQ9, 9, 4, 0, 27, set(), {9}),
        (GAD7, 7, 4, 0, 21, set(), set()),
        (WEMWBS, 14, 5, 14, 70, set(), set()),
        (EPDS, 10, 4, 0, 30, {3, 5, 6, 7, 8, 9, 10}, {10}),
        # Zigmond & Snaith's printed form: these items print from 3 down to 0.
        (HADS, 14, 4, 0, 42, {1, 3, 5, 6, 8, 10, 11, 13}, set()),
    ],
)
def test_definitions(m, items, options, lowest, highest, reverse, risk):
    assert m.item_count == items
    assert m.option_count == options
    assert m.lowest_total == lowest
    assert m.highest_total == highest
    assert m.reverse_items == reverse
    assert m.risk_items == risk


def test_built_in_and_lookup():
    assert set(BUILT_IN) == {"phq9", "gad7", "wemwbs", "epds", "hads"}
    assert measure("hads") is HADS
    with pytest.raises(ValueError):
        measure("bdi")


def test_direction_and_meaningful_change():
    assert WEMWBS.higher_is_better
    assert WEMWBS.meaningful_change == 3
    assert WEMWBS.lowest_item_score == 1
    for m in (PHQ9, GAD7, EPDS, HADS):
        assert not m.higher_is_better


def test_hads_subscales():
    anxiety, depression = HADS.subscales
    assert anxiety.slug == "anxiety" and anxiety.items == ANXIETY
    assert depression.slug == "depression" and depression.items == DEPRESSION
    assert anxiety.missing_allowed == depression.missing_allowed == 1
    assert HADS.scores == ("anxiety", "depression")


def test_free_wording_present_licensed_absent():
    assert FREQUENCY == (
        "Not at all",
        "Several days",
        "More than half the days",
        "Nearly every day",
    )
    for m in (PHQ9, GAD7):
        assert not m.licensed
        assert len(m.item_texts) == m.item_count
        assert m.option_labels == FREQUENCY
        assert m.stem.startswith("Over the last 2 weeks, how often have you been bothered by")
    assert PHQ9.item_texts[0] == "Little interest or pleasure in doing things"
    assert PHQ9.item_texts[8] == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert GAD7.item_texts[0] == "Feeling nervous, anxious or on edge"
    assert GAD7.item_texts[6] == "Feeling afraid as if something awful might happen"
    for m in (WEMWBS, EPDS, HADS):
        assert m.licensed
        assert m.item_texts == () and m.option_labels == () and m.stem == ""


# --- all-zero and all-max -----------------------------------------------------------


@pytest.mark.parametrize(
    ("m", "position", "total", "band"),
    [
        # PHQ-9: 9 x 0 = 0; 9 x 3 = 27.
        (PHQ9, 0, 0, "minimal"),
        (PHQ9, 3, 27, "severe"),
        # GAD-7: 7 x 0 = 0; 7 x 3 = 21.
        (GAD7, 0, 0, "minimal"),
        (GAD7, 3, 21, "severe"),
        # WEMWBS: position 0 scores 1, 14 x 1 = 14; position 4 scores 5, 14 x 5 = 70.
        # WEMWBS has no bands.
        (WEMWBS, 0, 14, ""),
        (WEMWBS, 4, 70, ""),
    ],
)
def test_forward_measures_all_same_position(m, position, total, band):
    result = score(m, dict.fromkeys(range(1, m.item_count + 1), position))
    assert result.total == total
    assert result.band == band
    assert result.subscales == {}


def test_epds_all_zero_and_all_max_scores():
    # All scores 0: forward items 1, 2, 4 at position 0; reverse items at position 3.
    zero = {i: (0 if i in (1, 2, 4) else 3) for i in range(1, 11)}
    result = score(EPDS, zero)
    assert result.total == 0
    assert result.band == "below the cut-off"
    assert result.risk_items == ()
    # All scores 3: forward items at position 3; reverse items at position 0. 10 x 3 = 30.
    top = {i: (3 if i in (1, 2, 4) else 0) for i in range(1, 11)}
    result = score(EPDS, top)
    assert result.total == 30
    assert result.band == "probable depression"
    assert result.risk_items == (10,)


def test_epds_all_same_position_shows_reverse_scoring():
    # Every item at position 0: items 1, 2, 4 score 0; the 7 reverse items score 3.
    # 7 x 3 = 21.
    assert score(EPDS, dict.fromkeys(range(1, 11), 0)).total == 21
    # Every item at position 3: items 1, 2, 4 score 3 (= 9); reverse items score 0.
    assert score(EPDS, dict.fromkeys(range(1, 11), 3)).total == 9


def test_hads_all_zero_and_all_max_scores():
    reverse = {1, 3, 5, 6, 8, 10, 11, 13}
    # All scores 0: reverse items at position 3, the rest at position 0.
    zero = {i: (3 if i in reverse else 0) for i in range(1, 15)}
    result = score(HADS, zero)
    assert result.subscales == {"anxiety": 0, "depression": 0}
    assert result.subscale_bands == {"anxiety": "normal", "depression": "normal"}
    assert result.total == 0
    # All scores 3: reverse items at position 0, the rest at position 3. 7 x 3 = 21 each.
    top = {i: (0 if i in reverse else 3) for i in range(1, 15)}
    result = score(HADS, top)
    assert result.subscales == {"anxiety": 21, "depression": 21}
    assert result.subscale_bands == {"anxiety": "case", "depression": "case"}
    assert result.total == 42
    # HADS has no total band: only its subscales are reported.
    assert result.band == ""


def test_hads_all_position_zero():
    # Anxiety: items 1, 3, 5, 11, 13 reverse -> 3 each = 15; items 7, 9 -> 0. 15 = case.
    # Depression: items 6, 8, 10 reverse -> 3 each = 9; items 2, 4, 12, 14 -> 0.
    # 9 = borderline.
    result = score(HADS, dict.fromkeys(range(1, 15), 0))
    assert result.subscales == {"anxiety": 15, "depression": 9}
    assert result.subscale_bands == {"anxiety": "case", "depression": "borderline"}
    assert result.total == 24


# --- a mixed example per measure ----------------------------------------------------


def test_phq9_mixed():
    positions = {1: 0, 2: 1, 3: 2, 4: 3, 5: 1, 6: 0, 7: 2, 8: 1, 9: 0}
    # Forward: scores = positions. 0+1+2+3+1+0+2+1+0 = 10 -> moderate (10-14).
    result = score(PHQ9, positions)
    assert result.item_scores == positions
    assert result.total == 10
    assert result.band == "moderate"
    assert result.risk_items == ()


def test_gad7_mixed():
    positions = {1: 1, 2: 2, 3: 0, 4: 3, 5: 1, 6: 0, 7: 2}
    # 1+2+0+3+1+0+2 = 9 -> mild (5-9).
    result = score(GAD7, positions)
    assert result.total == 9
    assert result.band == "mild"
    assert result.risk_items == ()


def test_wemwbs_mixed():
    positions = dict(enumerate([2, 3, 1, 4, 2, 2, 3, 0, 2, 3, 1, 2, 4, 2], start=1))
    # Each score is position + 1: 3,4,2,5,3,3,4,1,3,4,2,3,5,3.
    # 3+4+2+5 = 14; +3+3+4+1 = 25; +3+4+2+3 = 37; +5+3 = 45.
    result = score(WEMWBS, positions)
    assert result.item_scores == {i: p + 1 for i, p in positions.items()}
    assert result.total == 45
    assert result.band == ""


def test_epds_mixed():
    positions = {1: 1, 2: 0, 3: 1, 4: 2, 5: 3, 6: 2, 7: 3, 8: 1, 9: 2, 10: 3}
    # Forward 1, 2, 4: 1, 0, 2. Reverse (3 - p): 3 -> 2, 5 -> 0, 6 -> 1, 7 -> 0,
    # 8 -> 2, 9 -> 1, 10 -> 0.
    # 1+0+2+2+0+1+0+2+1+0 = 9 -> below the cut-off (0-9). Item 10 scores 0: no risk.
    result = score(EPDS, positions)
    assert result.item_scores == {1: 1, 2: 0, 3: 2, 4: 2, 5: 0, 6: 1, 7: 0, 8: 2, 9: 1, 10: 0}
    assert result.total == 9
    assert result.band == "below the cut-off"
    assert result.risk_items == ()


def test_hads_mixed():
    positions = {
        1: 1, 2: 1, 3: 2, 4: 0, 5: 0, 6: 2, 7: 1,
        8: 3, 9: 2, 10: 1, 11: 3, 12: 2, 13: 1, 14: 3,
    }  # fmt: skip
    # Reverse items (3 - p): 1 -> 2, 3 -> 1, 5 -> 3, 6 -> 1, 8 -> 0, 10 -> 2, 11 -> 0,
    # 13 -> 2. Forward items (= p): 2 -> 1, 4 -> 0, 7 -> 1, 9 -> 2, 12 -> 2, 14 -> 3.
    # Anxiety 1,3,5,7,9,11,13: 2+1+3+1+2+0+2 = 11 -> case.
    # Depression 2,4,6,8,10,12,14: 1+0+1+0+2+2+3 = 9 -> borderline.
    result = score(HADS, positions)
    assert result.item_scores == {
        1: 2, 2: 1, 3: 1, 4: 0, 5: 3, 6: 1, 7: 1,
        8: 0, 9: 2, 10: 2, 11: 0, 12: 2, 13: 2, 14: 3,
    }  # fmt: skip
    assert result.subscales == {"anxiety": 11, "depression": 9}
    assert result.subscale_bands == {"anxiety": "case", "depression": "borderline"}
    assert result.total == 20
    assert result.value("anxiety") == 11
    assert result.value("depression") == 9


# --- reverse-scored items -----------------------------------------------------------


@pytest.mark.parametrize(("position", "expected"), [(0, 3), (1, 2), (2, 1), (3, 0)])
def test_epds_item_3_is_reverse_scored(position, expected):
    assert EPDS.item_score(3, position) == expected


@pytest.mark.parametrize("item", [1, 2, 4])
def test_epds_forward_items(item):
    assert [EPDS.item_score(item, p) for p in range(4)] == [0, 1, 2, 3]


@pytest.mark.parametrize("item", [3, 5, 6, 7, 8, 9, 10])
def test_epds_reverse_items(item):
    assert [EPDS.item_score(item, p) for p in range(4)] == [3, 2, 1, 0]


@pytest.mark.parametrize("item", [1, 3, 5, 6, 8, 10, 11, 13])
def test_hads_reverse_items(item):
    # E.g. item 1 prints "Most of the time" (3) first and "Not at all" (0) last.
    assert [HADS.item_score(item, p) for p in range(4)] == [3, 2, 1, 0]


@pytest.mark.parametrize("item", [2, 4, 7, 9, 12, 14])
def test_hads_forward_items(item):
    # E.g. item 2 prints "Definitely as much" (0) first and "Hardly at all" (3) last.
    assert [HADS.item_score(item, p) for p in range(4)] == [0, 1, 2, 3]


def test_hads_single_reverse_item_in_a_full_questionnaire():
    # All scores 0 except item 6 (depression, reverse) at position 0 -> 3.
    positions = positions_for(HADS, dict.fromkeys(range(1, 15), 0))
    positions[6] = 0
    result = score(HADS, positions)
    assert result.item_scores[6] == 3
    assert result.subscales == {"anxiety": 0, "depression": 3}


# --- HADS prorating -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("answered", "expected"),
    [
        # Six answered items; the seventh counts as their mean, i.e. total = sum x 7/6,
        # rounded half up.
        ((0, 0, 0, 0, 0, 0), 0),  # 0 x 7/6 = 0
        ((1, 1, 1, 0, 0, 0), 4),  # 3 x 7/6 = 3.5 -> 4
        ((1, 1, 1, 1, 1, 0), 6),  # 5 x 7/6 = 5.83 -> 6
        ((2, 2, 2, 1, 0, 0), 8),  # 7 x 7/6 = 8.17 -> 8 (borderline, not case)
        ((3, 3, 3, 0, 0, 0), 11),  # 9 x 7/6 = 10.5 -> 11 (half up: case)
        ((2, 2, 2, 2, 2, 2), 14),  # 12 x 7/6 = 14
        ((3, 3, 3, 2, 2, 2), 18),  # 15 x 7/6 = 17.5 -> 18
        ((3, 3, 3, 3, 3, 3), 21),  # 18 x 7/6 = 21
    ],
)
@pytest.mark.parametrize("missing", [ANXIETY[0], ANXIETY[-1]])
def test_hads_anxiety_one_missing_is_prorated(answered, expected, missing):
    others = [i for i in ANXIETY if i != missing]
    scores: dict[int, int | None] = dict(zip(others, answered, strict=True))
    scores[missing] = None
    scores.update(dict.fromkeys(DEPRESSION, 0))
    result = score(HADS, positions_for(HADS, scores))
    assert result.subscales["anxiety"] == expected
    assert result.subscales["depression"] == 0
    assert result.item_scores[missing] is None
    assert result.total == expected


def test_hads_prorated_half_lands_on_case_boundary():
    # Anxiety, item 13 skipped. Positions: 1 -> 0 (reverse, 3), 3 -> 3 (0), 5 -> 3 (0),
    # 7 -> 3 (3), 9 -> 3 (3), 11 -> 3 (0). Sum 9, mean 1.5, 9 + 1.5 = 10.5 -> 11: case.
    positions = {1: 0, 3: 3, 5: 3, 7: 3, 9: 3, 11: 3, 13: None}
    result = score(HADS, positions)
    assert result.subscales["anxiety"] == 11
    assert result.subscale_bands["anxiety"] == "case"
    # Depression has no answers at all: not scored, so no total either.
    assert result.subscales["depression"] is None
    assert result.subscale_bands["depression"] == ""
    assert result.total is None


def test_hads_depression_one_missing_worked_example():
    # Item 14 skipped. 2 -> 1 (1), 4 -> 1 (1), 6 -> 3 (reverse, 0), 8 -> 2 (reverse, 1),
    # 10 -> 1 (reverse, 2), 12 -> 0 (0). Sum 5, mean 5/6; 5 + 0.83 = 5.83 -> 6: normal.
    zeros = positions_for(HADS, dict.fromkeys(ANXIETY, 0))
    positions = zeros | {2: 1, 4: 1, 6: 3, 8: 2, 10: 1, 12: 0, 14: None}
    result = score(HADS, positions)
    assert result.subscales == {"anxiety": 0, "depression": 6}
    assert result.subscale_bands["depression"] == "normal"
    assert result.total == 6


def test_hads_one_missing_in_each_subscale():
    # Anxiety: item 7 skipped, the others all 2 -> 12 + 2 = 14.
    # Depression: item 2 skipped, the others all 1 -> 6 + 1 = 7.
    scores: dict[int, int | None] = {i: 2 for i in ANXIETY} | {i: 1 for i in DEPRESSION}
    scores[7] = None
    scores[2] = None
    result = score(HADS, positions_for(HADS, scores))
    assert result.subscales == {"anxiety": 14, "depression": 7}
    assert result.subscale_bands == {"anxiety": "case", "depression": "normal"}
    assert result.total == 21


@pytest.mark.parametrize(
    ("subscale", "skipped"),
    [("anxiety", (1, 3)), ("anxiety", (7, 13)), ("depression", (2, 14)), ("depression", (6, 8))],
)
def test_hads_two_missing_leaves_subscale_unscored(subscale, skipped):
    scores: dict[int, int | None] = dict.fromkeys(range(1, 15), 2)
    for item in skipped:
        scores[item] = None
    result = score(HADS, positions_for(HADS, scores))
    other = "depression" if subscale == "anxiety" else "anxiety"
    assert result.subscales[subscale] is None
    assert result.subscale_bands[subscale] == ""
    # The other subscale is complete: 7 x 2 = 14.
    assert result.subscales[other] == 14
    assert result.total is None


def test_hads_omitted_key_counts_as_missing():
    # Not passing item 13 at all is the same as passing None.
    scores = positions_for(HADS, dict.fromkeys(range(1, 15), 1))
    del scores[13]
    result = score(HADS, scores)
    # Anxiety: six 1s = 6, + mean 1 = 7. Depression: 7 x 1 = 7.
    assert result.subscales == {"anxiety": 7, "depression": 7}


# --- bands at each boundary ---------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands(total, band):
    result = score(PHQ9, positions_for(PHQ9, spread(tuple(range(1, 10)), total)))
    assert result.total == total
    assert result.band == band


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands(total, band):
    result = score(GAD7, positions_for(GAD7, spread(tuple(range(1, 8)), total)))
    assert result.total == total
    assert result.band == band


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "below the cut-off"),
        (9, "below the cut-off"),
        (10, "possible depression"),
        (12, "possible depression"),
        (13, "probable depression"),
        (30, "probable depression"),
    ],
)
def test_epds_bands(total, band):
    # spread() fills item 10 last, so item 10 is 0 (no risk) for totals up to 27.
    result = score(EPDS, positions_for(EPDS, spread(tuple(range(1, 11)), total)))
    assert result.total == total
    assert result.band == band


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0, "normal"),
        (7, "normal"),
        (8, "borderline"),
        (10, "borderline"),
        (11, "case"),
        (21, "case"),
    ],
)
@pytest.mark.parametrize("subscale", ["anxiety", "depression"])
def test_hads_subscale_bands(value, band, subscale):
    items, other = (ANXIETY, DEPRESSION) if subscale == "anxiety" else (DEPRESSION, ANXIETY)
    scores = spread(items, value) | dict.fromkeys(other, 0)
    result = score(HADS, positions_for(HADS, scores))
    assert result.subscales[subscale] == value
    assert result.subscale_bands[subscale] == band
    assert result.value(subscale) == value


def test_wemwbs_has_no_bands():
    result = score(WEMWBS, dict.fromkeys(range(1, 15), 2))
    # 14 x 3 = 42.
    assert result.total == 42
    assert result.band == ""


# --- risk items ---------------------------------------------------------------------


@pytest.mark.parametrize(("position", "risk"), [(0, ()), (1, (9,)), (2, (9,)), (3, (9,))])
def test_phq9_item_9_risk(position, risk):
    positions = dict.fromkeys(range(1, 10), 0) | {9: position}
    result = score(PHQ9, positions)
    assert result.total == position
    assert result.risk_items == risk


def test_phq9_other_items_are_not_risk_items():
    # Items 1-8 at the maximum, item 9 at 0: 8 x 3 = 24, severe, but no risk item.
    result = score(PHQ9, dict.fromkeys(range(1, 9), 3) | {9: 0})
    assert result.total == 24
    assert result.band == "severe"
    assert result.risk_items == ()


@pytest.mark.parametrize(
    ("position", "item_score", "risk"),
    [
        # Item 10 is reverse-scored: position 3 ("Never") scores 0, position 0 scores 3.
        (3, 0, ()),
        (2, 1, (10,)),
        (1, 2, (10,)),
        (0, 3, (10,)),
    ],
)
def test_epds_item_10_risk(position, item_score, risk):
    # Everything else scores 0 (items 1, 2, 4 at position 0; reverse items at 3).
    positions = {i: (0 if i in (1, 2, 4) else 3) for i in range(1, 10)} | {10: position}
    result = score(EPDS, positions)
    assert result.item_scores[10] == item_score
    assert result.total == item_score
    assert result.risk_items == risk


def test_risk_item_flagged_even_when_total_is_incomplete():
    # Item 5 skipped, item 9 at position 1: no total, but the risk is still shown.
    positions = dict.fromkeys(range(1, 10), 0) | {5: None, 9: 1}
    result = score(PHQ9, positions)
    assert result.total is None
    assert result.risk_items == (9,)


def test_skipped_risk_item_is_not_flagged():
    result = score(PHQ9, dict.fromkeys(range(1, 9), 3) | {9: None})
    assert result.risk_items == ()


# --- missing items and bad input ----------------------------------------------------


@pytest.mark.parametrize("skipped", [1, 5, 9])
def test_phq9_missing_item_gives_no_total(skipped):
    positions = dict.fromkeys(range(1, 10), 1) | {skipped: None}
    result = score(PHQ9, positions)
    assert result.total is None
    assert result.band == ""
    assert result.item_scores[skipped] is None
    assert result.value("total") is None


def test_phq9_omitted_item_gives_no_total():
    result = score(PHQ9, dict.fromkeys(range(1, 9), 1))
    assert result.total is None
    assert result.item_scores[9] is None


def test_empty_answers():
    result = score(GAD7, {})
    assert result.total is None
    assert result.band == ""
    assert result.item_scores == dict.fromkeys(range(1, 8))


@pytest.mark.parametrize(
    ("m", "item"),
    [(PHQ9, 0), (PHQ9, 10), (PHQ9, -1), (GAD7, 8), (WEMWBS, 15), (EPDS, 11), (HADS, 15)],
)
def test_unknown_item_raises(m, item):
    with pytest.raises(ValueError, match="has no item"):
        score(m, {item: 0})
    with pytest.raises(ValueError, match="has no item"):
        m.item_score(item, 0)


def test_unknown_item_with_none_still_raises():
    with pytest.raises(ValueError, match="has no item 10"):
        score(PHQ9, {10: None})


@pytest.mark.parametrize(
    ("m", "position"),
    [(PHQ9, 4), (PHQ9, -1), (GAD7, 4), (WEMWBS, 5), (WEMWBS, -1), (EPDS, 4), (HADS, 4)],
)
def test_out_of_range_position_raises(m, position):
    with pytest.raises(ValueError, match="has no option"):
        score(m, {1: position})
    with pytest.raises(ValueError, match="has no option"):
        m.item_score(1, position)


def test_reverse_item_out_of_range_position_raises():
    # Reversal must not turn an impossible position into a valid one (3 - 4 = -1).
    with pytest.raises(ValueError):
        EPDS.item_score(3, 4)
    with pytest.raises(ValueError):
        HADS.item_score(1, -1)


def test_score_labels():
    assert PHQ9.score_label("total") == "PHQ-9"
    assert HADS.score_label("anxiety") == "HADS anxiety"
    assert HADS.score_label("depression") == "HADS depression"
