"""Measuring screening on the corpus's held-out split (`make eval-moderation`).

Three ways are measured on the same lines: the default rules alone, the model
alone, and both deciding together (moderation.screening). Every figure is a
count of lines out of a total, so that a regression can be stated in lines:
CI fails when a figure is more than one line worse than the figures
committed beside the model (moderation/model/figures.json).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from moderation.corpus import LANGUAGES, RISK_CATEGORIES, Line
from moderation.default_rules import DEFAULT_RULES
from moderation.models import Level
from moderation.protocols import RoomKind
from moderation.scanner import RuleSpec, Scanner
from moderation.screening import Thresholds, Verdict, decide

MODES = ("rules", "model", "both")
TAGS = (
    "direct", "indirect", "negation", "misspelling", "emoji", "slang", "past",
    "contact-evasion", "other-language",
)  # fmt: skip

# Targets from the risk-detection issue: recall per category, RED kept RED,
# recall per other language; false alarms per 1,000 everyday lines.
RECALL_TARGETS = {
    "self_harm": 0.95,
    "baby_harm": 0.95,
    "psychosis": 0.95,
    "abuse_dv": 0.90,
    "contact": 0.90,
    "hostility": 0.80,
}
RED_KEPT_RED_TARGET = 0.95
LANGUAGE_TARGET = 0.85
FALSE_RED_TARGET = 5  # per 1,000
FALSE_AMBER_TARGET = 20  # per 1,000


def default_scanner() -> Scanner:
    """The rules as shipped (moderation/default_rules.py), without a database."""
    specs = [
        RuleSpec(
            id=number,
            term=rule["term"],
            category=rule["category"],
            level=rule["level"],
            action=rule.get("action", "default"),
            exceptions=tuple(rule.get("exceptions", ())),
        )
        for number, rule in enumerate(DEFAULT_RULES, start=1)
    ]
    return Scanner(specs, detect_contact=True)


def verdicts(
    lines: Sequence[Line],
    *,
    mode: str,
    scanner: Scanner | None = None,
    scores: Sequence[Mapping[str, float]] | None = None,
    thresholds: Thresholds | None = None,
) -> list[Verdict]:
    """What each line would get in a group room, by the rules, the model, or both."""
    results = []
    for number, line in enumerate(lines):
        matches = scanner.scan(line.text) if mode in ("rules", "both") and scanner else []
        use_model = mode in ("model", "both") and scores is not None
        results.append(
            decide(
                matches,
                room_kind=RoomKind.GROUP,
                scores=scores[number] if use_model and scores is not None else None,
                thresholds=thresholds if use_model else None,
                length=len(line.text),
            )
        )
    return results


Count = tuple[int, int]  # (lines, out of)


@dataclass(frozen=True)
class Figures:
    recall: dict[str, Count]
    red_kept_red: Count
    by_tag: dict[str, Count]
    by_language: dict[str, Count]
    false_red: Count
    false_amber: Count

    def as_json(self) -> dict:
        return {
            "recall": self.recall,
            "red_kept_red": self.red_kept_red,
            "by_tag": self.by_tag,
            "by_language": self.by_language,
            "false_red": self.false_red,
            "false_amber": self.false_amber,
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Figures:
        def pairs(values: Mapping) -> dict[str, Count]:
            return {key: (int(value[0]), int(value[1])) for key, value in values.items()}

        return cls(
            recall=pairs(data["recall"]),
            red_kept_red=tuple(data["red_kept_red"]),  # type: ignore[arg-type]
            by_tag=pairs(data["by_tag"]),
            by_language=pairs(data["by_language"]),
            false_red=tuple(data["false_red"]),  # type: ignore[arg-type]
            false_amber=tuple(data["false_amber"]),  # type: ignore[arg-type]
        )


def measure(lines: Sequence[Line], results: Sequence[Verdict]) -> Figures:
    caught: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    tags: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    languages: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    red = [0, 0]
    false_red = [0, 0]
    false_amber = [0, 0]
    for line, verdict in zip(lines, results, strict=True):
        alarm = verdict.needs_flag
        if line.is_risk:
            caught[line.category][1] += 1
            caught[line.category][0] += alarm
            for tag in line.tags:
                tags[tag][1] += 1
                tags[tag][0] += alarm
            languages[line.language][1] += 1
            languages[line.language][0] += alarm
            if line.level == Level.RED:
                red[1] += 1
                red[0] += verdict.level == Level.RED
        else:
            false_red[1] += 1
            false_amber[1] += 1
            false_red[0] += alarm and verdict.level == Level.RED
            false_amber[0] += alarm and verdict.level != Level.RED

    def counts(table: Mapping[str, list[int]], keys: Sequence[str]) -> dict[str, Count]:
        return {key: (table[key][0], table[key][1]) for key in keys if table[key][1]}

    return Figures(
        recall=counts(caught, RISK_CATEGORIES),
        red_kept_red=(red[0], red[1]),
        by_tag=counts(tags, TAGS),
        by_language=counts(languages, tuple(LANGUAGES)),
        false_red=(false_red[0], false_red[1]),
        false_amber=(false_amber[0], false_amber[1]),
    )


def _share(count: Count) -> str:
    found, total = count
    return f"{100 * found / total:5.1f}% ({found}/{total})" if total else "   -"


def _per_thousand(count: Count) -> str:
    found, total = count
    return f"{1000 * found / total:5.1f} ({found}/{total})" if total else "   -"


def report(figures: Mapping[str, Figures]) -> str:
    """A plain table: one column per mode, one row per figure, targets on the right."""
    rows: list[tuple[str, list[str], str]] = []
    for category in RISK_CATEGORIES:
        rows.append(
            (
                f"recall {category}",
                [_share(f.recall.get(category, (0, 0))) for f in figures.values()],
                f">= {RECALL_TARGETS[category]:.0%}",
            )
        )
    rows.append(("RED kept RED", [_share(f.red_kept_red) for f in figures.values()], ">= 95%"))
    for tag in TAGS:
        rows.append(
            (f"recall tag {tag}", [_share(f.by_tag.get(tag, (0, 0))) for f in figures.values()], "")
        )
    for code, name in LANGUAGES.items():
        rows.append(
            (
                f"recall {name}",
                [_share(f.by_language.get(code, (0, 0))) for f in figures.values()],
                "" if code == "en" else ">= 85%",
            )
        )
    rows.append(
        (
            "false RED per 1,000",
            [_per_thousand(f.false_red) for f in figures.values()],
            f"<= {FALSE_RED_TARGET}",
        )
    )
    rows.append(
        (
            "false AMBER per 1,000",
            [_per_thousand(f.false_amber) for f in figures.values()],
            f"<= {FALSE_AMBER_TARGET}",
        )
    )
    width = max(len(name) for name, _, _ in rows) + 2
    header = "".join(f"{mode:>22}" for mode in figures) + "   target"
    lines = [" " * width + header]
    for name, cells, target in rows:
        lines.append(name.ljust(width) + "".join(f"{cell:>22}" for cell in cells) + f"   {target}")
    return "\n".join(lines)


def regressions(committed: Figures, now: Figures) -> list[str]:
    """Figures more than one line worse than committed (recall down, false alarms up)."""
    worse = []

    def lower(name: str, before: Count, after: Count) -> None:
        if after[1] == before[1] and after[0] < before[0] - 1:
            worse.append(f"{name}: {after[0]}/{after[1]}, committed {before[0]}/{before[1]}")

    def higher(name: str, before: Count, after: Count) -> None:
        if after[1] == before[1] and after[0] > before[0] + 1:
            worse.append(f"{name}: {after[0]}/{after[1]}, committed {before[0]}/{before[1]}")

    for key, before in committed.recall.items():
        lower(f"recall {key}", before, now.recall.get(key, (0, before[1])))
    lower("RED kept RED", committed.red_kept_red, now.red_kept_red)
    for key, before in committed.by_tag.items():
        lower(f"recall tag {key}", before, now.by_tag.get(key, (0, before[1])))
    for key, before in committed.by_language.items():
        lower(f"recall {key}", before, now.by_language.get(key, (0, before[1])))
    higher("false RED", committed.false_red, now.false_red)
    higher("false AMBER", committed.false_amber, now.false_amber)
    return worse


# --- the three modes, and the files they are committed in ---------------------------


def model_scores(model, lines: Sequence[Line]) -> list[dict[str, float]]:
    """The model's scores for `lines`, windowed as in use, embeddings from the cache."""
    from moderation.risk_model import windows_to_score
    from moderation.training import embed_cached

    pieces: list[str] = []
    owners: list[int] = []
    for number, line in enumerate(lines):
        for piece in windows_to_score(line.text):
            pieces.append(piece)
            owners.append(number)
    vectors = embed_cached(model.embedder, pieces).astype("float64")
    return model.score_pieces(vectors, pieces, owners=owners, count=len(lines))


def recommended_thresholds(model) -> Thresholds:
    return Thresholds.from_json(model.meta["thresholds"])


def all_figures(
    lines: Sequence[Line],
    *,
    scores: Sequence[Mapping[str, float]],
    thresholds: Thresholds | Mapping,
) -> dict[str, Figures]:
    if not isinstance(thresholds, Thresholds):
        thresholds = Thresholds.from_json(thresholds)
    scanner = default_scanner()
    return {
        mode: measure(
            lines,
            verdicts(lines, mode=mode, scanner=scanner, scores=scores, thresholds=thresholds),
        )
        for mode in MODES
    }


def _figures_path():
    from moderation.risk_model import MODEL_DIR

    return MODEL_DIR / "figures.json"


def write_figures(*, model, heldout: Sequence[Line], figures: Mapping[str, Figures]) -> None:
    """Commit-ready held-out figures for the model and the rules as they are."""
    import json

    from moderation.corpus import digest

    data = {
        "model": model.version,
        "heldout": {"sha256": digest(heldout), "lines": len(heldout)},
        "figures": {mode: f.as_json() for mode, f in figures.items()},
    }
    _figures_path().write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def read_figures() -> dict:
    import json

    return json.loads(_figures_path().read_text(encoding="utf-8"))
