"""The standard measures Village scores: their items, options, scoring and bands.

Pure definitions and pure scoring, no Django. PHQ-9 and GAD-7 are free to
reproduce and come with their wording. WEMWBS, EPDS and HADS are licensed:
only their scoring is here; a coordinator enters the wording from the
service's own licensed copy (outcomes.models.MeasureWording) before they can
be sent.

Options are listed in the order the questionnaire prints them. An option's
score is its position (0, 1, 2, ...) plus the item's lowest score; a
reverse-scored item prints its options from the highest score down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class Band:
    """A range of totals from `lowest` up to the next band's lowest."""

    lowest: int
    label: str


@dataclass(frozen=True)
class Subscale:
    slug: str
    name: str
    items: tuple[int, ...]
    bands: tuple[Band, ...] = ()
    # A subscale is still scored with this many items missing, each counted as
    # the mean of her other answers in the subscale (total rounded half up).
    missing_allowed: int = 0


@dataclass(frozen=True)
class Measure:
    slug: str
    name: str
    version: str
    item_count: int
    option_count: int
    lowest_item_score: int = 0
    reverse_items: frozenset[int] = frozenset()
    risk_items: frozenset[int] = frozenset()
    bands: tuple[Band, ...] = ()
    subscales: tuple[Subscale, ...] = ()
    # Does a higher score mean she is doing better (WEMWBS) or worse (the rest)?
    higher_is_better: bool = False
    # The smallest change in a score that counts as a meaningful improvement.
    meaningful_change: int = 0
    licensed: bool = False
    # The wording of a free measure (None for a licensed one).
    stem: str = ""
    item_texts: tuple[str, ...] = ()
    option_labels: tuple[str, ...] = ()
    notes: str = ""
    # Each score the reports show: "total", or a subscale's slug.
    scores: tuple[str, ...] = field(default=("total",))

    @property
    def lowest_total(self) -> int:
        return self.item_count * self.lowest_item_score

    @property
    def highest_total(self) -> int:
        return self.item_count * (self.lowest_item_score + self.option_count - 1)

    def item_score(self, item: int, position: int) -> int:
        """The score of the option at `position` (0-based, printed order) of `item` (1-based)."""
        if not 1 <= item <= self.item_count:
            raise ValueError(f"{self.name} has no item {item}.")
        if not 0 <= position < self.option_count:
            raise ValueError(f"Item {item} of {self.name} has no option {position + 1}.")
        if item in self.reverse_items:
            position = self.option_count - 1 - position
        return self.lowest_item_score + position

    def score_label(self, score: str) -> str:
        if score == "total":
            return self.name
        return next(f"{self.name} {s.name.lower()}" for s in self.subscales if s.slug == score)


@dataclass(frozen=True)
class Scored:
    """A completed questionnaire's scores."""

    item_scores: dict[int, int | None]
    total: int | None
    band: str
    subscales: dict[str, int | None]
    subscale_bands: dict[str, str]
    risk_items: tuple[int, ...]

    def value(self, score: str) -> int | None:
        return self.total if score == "total" else self.subscales.get(score)


def band_for(bands: tuple[Band, ...], value: int | None) -> str:
    if value is None or not bands:
        return ""
    label = ""
    for band in bands:
        if value >= band.lowest:
            label = band.label
    return label


def _subscale_total(subscale: Subscale, item_scores: dict[int, int | None]) -> int | None:
    answered = [item_scores.get(i) for i in subscale.items if item_scores.get(i) is not None]
    missing = len(subscale.items) - len(answered)
    if missing > subscale.missing_allowed or not answered:
        return None
    # Each missing item counts as the mean of her other answers (prorating).
    # Exact arithmetic, rounded half up: round() rounds halves to even, which
    # would score 10.5 as 10 (borderline) but 17.5 as 18.
    prorated = sum(answered) + missing * Fraction(sum(answered), len(answered))
    return math.floor(prorated + Fraction(1, 2))


def score(measure: Measure, positions: dict[int, int | None]) -> Scored:
    """Score answers given as {item number: option position, or None if skipped}.

    The total needs every item (measures with subscales total them instead);
    a subscale tolerates `missing_allowed` skipped items. A risk item counts
    when its score is above 0.
    """
    unknown = set(positions) - set(range(1, measure.item_count + 1))
    if unknown:
        raise ValueError(f"{measure.name} has no item {min(unknown)}.")
    item_scores = {
        item: None if positions.get(item) is None else measure.item_score(item, positions[item])  # type: ignore[arg-type]
        for item in range(1, measure.item_count + 1)
    }
    subscales = {s.slug: _subscale_total(s, item_scores) for s in measure.subscales}
    if measure.subscales:
        parts = list(subscales.values())
        total = None if any(p is None for p in parts) else sum(parts)  # type: ignore[arg-type]
    else:
        complete = all(v is not None for v in item_scores.values())
        total = sum(item_scores.values()) if complete else None  # type: ignore[arg-type]
    return Scored(
        item_scores=item_scores,
        total=total,
        band=band_for(measure.bands, total),
        subscales=subscales,
        subscale_bands={s.slug: band_for(s.bands, subscales[s.slug]) for s in measure.subscales},
        risk_items=tuple(sorted(i for i in measure.risk_items if (item_scores.get(i) or 0) > 0)),
    )


# --- the built-in measures -----------------------------------------------------------

FREQUENCY = ("Not at all", "Several days", "More than half the days", "Nearly every day")

PHQ9 = Measure(
    slug="phq9",
    name="PHQ-9",
    version="1",
    item_count=9,
    option_count=4,
    risk_items=frozenset({9}),
    bands=(
        Band(0, "minimal"),
        Band(5, "mild"),
        Band(10, "moderate"),
        Band(15, "moderately severe"),
        Band(20, "severe"),
    ),
    # NHS Talking Therapies' reliable change for PHQ-9 (a proposed default).
    meaningful_change=6,
    stem="Over the last 2 weeks, how often have you been bothered by any of the following "
    "problems?",
    item_texts=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself, or that you are a failure or have let yourself or "
        "your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the "
        "opposite: being so fidgety or restless that you have been moving around a lot "
        "more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    option_labels=FREQUENCY,
    notes="Developed by Drs Spitzer, Williams, Kroenke and colleagues; free to reproduce.",
)

GAD7 = Measure(
    slug="gad7",
    name="GAD-7",
    version="1",
    item_count=7,
    option_count=4,
    bands=(Band(0, "minimal"), Band(5, "mild"), Band(10, "moderate"), Band(15, "severe")),
    # NHS Talking Therapies' reliable change for GAD-7 (a proposed default).
    meaningful_change=4,
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    item_texts=(
        "Feeling nervous, anxious or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ),
    option_labels=FREQUENCY,
    notes="Developed by Drs Spitzer, Williams, Kroenke and colleagues; free to reproduce.",
)

WEMWBS = Measure(
    slug="wemwbs",
    name="WEMWBS",
    version="1",
    item_count=14,
    option_count=5,
    lowest_item_score=1,
    higher_is_better=True,
    meaningful_change=3,
    licensed=True,
    notes="Warwick-Edinburgh Mental Wellbeing Scale: 14 items scored 1-5 (total 14-70); "
    "higher is better; a change of 3 or more is meaningful. Licensed: enter the wording "
    "from your licensed copy.",
)

EPDS = Measure(
    slug="epds",
    name="EPDS",
    version="1",
    item_count=10,
    option_count=4,
    reverse_items=frozenset({3, 5, 6, 7, 8, 9, 10}),
    risk_items=frozenset({10}),
    bands=(
        Band(0, "below the cut-off"),
        Band(10, "possible depression"),
        Band(13, "probable depression"),
    ),
    # A reliable change on the EPDS (a proposed default).
    meaningful_change=4,
    licensed=True,
    notes="Edinburgh Postnatal Depression Scale: 10 items scored 0-3, items 3 and 5-10 "
    "reverse-scored (printed from 3 down to 0); total 0-30; 13 or more suggests "
    "depression, 10 or more where more sensitivity is wanted; item 10 above 0 is a "
    "risk item. Enter the wording from your licensed copy.",
)

# HADS items alternate anxiety (odd) and depression (even); those printed from
# the highest score down are scored in reverse.
HADS_BANDS = (Band(0, "normal"), Band(8, "borderline"), Band(11, "case"))
HADS = Measure(
    slug="hads",
    name="HADS",
    version="1",
    item_count=14,
    option_count=4,
    reverse_items=frozenset({1, 3, 5, 6, 8, 10, 11, 13}),
    subscales=(
        Subscale("anxiety", "Anxiety", (1, 3, 5, 7, 9, 11, 13), HADS_BANDS, missing_allowed=1),
        Subscale(
            "depression", "Depression", (2, 4, 6, 8, 10, 12, 14), HADS_BANDS, missing_allowed=1
        ),
    ),
    # A reliable change on a HADS subscale (a proposed default).
    meaningful_change=4,
    licensed=True,
    scores=("anxiety", "depression"),
    notes="Hospital Anxiety and Depression Scale: 14 items scored 0-3; anxiety and "
    "depression subscales of 0-21 each (0-7 normal, 8-10 borderline, 11 or more a "
    "case); a subscale is scored with at most one item missing, using the mean of the "
    "others. Enter the wording from your licensed copy.",
)

BUILT_IN: dict[str, Measure] = {m.slug: m for m in (PHQ9, GAD7, WEMWBS, EPDS, HADS)}


def measure(slug: str) -> Measure:
    try:
        return BUILT_IN[slug]
    except KeyError:
        raise ValueError(f"There is no measure {slug!r}.") from None
