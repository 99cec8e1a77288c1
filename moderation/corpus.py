"""Village's own labelled corpus of chat lines (moderation/corpus/).

Each `<lang>/<part>.tsv` holds one message a line with its label, written by
the team as mums and volunteers write (README in that folder). The held-out
split is the fixed list of ids in `heldout.txt`: it was drawn once, and a
line added later is a training line unless its id is added there. Training
never reads a held-out line; `make eval-moderation` reads only those.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent / "corpus"
HELDOUT_FILE = CORPUS_DIR / "heldout.txt"

RISK_CATEGORIES = ("self_harm", "baby_harm", "psychosis", "abuse_dv", "contact", "hostility")
EVERYDAY = "none"
CATEGORIES = (*RISK_CATEGORIES, EVERYDAY)
LANGUAGES = {
    "en": "English",
    "pl": "Polish",
    "ro": "Romanian",
    "ur": "Urdu",
    "bn": "Bengali",
    "pa": "Punjabi",
    "ar": "Arabic",
}
RISK_TAGS = frozenset((
    "direct", "indirect", "negation", "misspelling", "emoji", "slang", "past",
    "contact-evasion", "other-language",
))  # fmt: skip
EVERYDAY_TAGS = frozenset((
    "idiom", "denial", "medication", "birth", "signposting", "training", "joke", "everyday",
    "other-language", "misspelling", "emoji", "slang",
))  # fmt: skip
LEVELS = {
    "self_harm": ("RED", "AMBER"),
    "baby_harm": ("RED", "AMBER"),
    "psychosis": ("RED",),
    "abuse_dv": ("RED", "AMBER"),
    "contact": ("AMBER",),
    "hostility": ("AMBER",),
    EVERYDAY: ("GREEN",),
}
_ID = re.compile(r"^[a-z]{2}-[a-z]{1,2}-\d{4}$")
_SCRIPTS = {"ur-Latn": "ur", "pa-Arab": "pa"}
# Two lines whose word sets overlap this much are one line written twice
# ("I want to die tonight" / "I want to die today": 5 of 7 words).
NEAR_DUPLICATE = 0.7


class CorpusError(ValueError):
    """A corpus file breaks the format; the message says where and how."""


@dataclass(frozen=True)
class Line:
    id: str
    lang: str  # as written: "ur-Latn" is Urdu in Latin letters
    category: str
    level: str
    author: str  # "member" or "staff"
    tags: frozenset[str]
    text: str
    source: str  # "en/self_harm.tsv:12"

    @property
    def language(self) -> str:
        """The language, whatever the script: "ur" for "ur" and "ur-Latn"."""
        return _SCRIPTS.get(self.lang, self.lang)

    @property
    def is_risk(self) -> bool:
        return self.category != EVERYDAY


def _parse(path: Path) -> Iterable[Line]:
    relative = path.relative_to(CORPUS_DIR).as_posix()
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            where = f"{relative}:{number}"
            fields = line.split("\t")
            if len(fields) != 7:
                raise CorpusError(f"{where}: {len(fields)} fields, 7 expected")
            id_, lang, category, level, author, tags, text = fields
            tag_set = frozenset(tags.split(","))
            if not _ID.match(id_):
                raise CorpusError(f"{where}: id {id_!r} is not like en-sh-0001")
            if _SCRIPTS.get(lang, lang) not in LANGUAGES:
                raise CorpusError(f"{where}: unknown language {lang!r}")
            if category not in LEVELS:
                raise CorpusError(f"{where}: unknown category {category!r}")
            if level not in LEVELS[category]:
                raise CorpusError(f"{where}: level {level} is not one of {category}'s")
            if author not in ("member", "staff"):
                raise CorpusError(f"{where}: author {author!r} is neither member nor staff")
            allowed = EVERYDAY_TAGS if category == EVERYDAY else RISK_TAGS
            if not tag_set <= allowed:
                raise CorpusError(f"{where}: tags {sorted(tag_set - allowed)} not allowed here")
            if (lang != "en") != ("other-language" in tag_set):
                raise CorpusError(f"{where}: other-language must tag exactly the non-English lines")
            if not text.strip() or text != text.strip():
                raise CorpusError(f"{where}: empty text or spaces around it")
            yield Line(id_, lang, category, level, author, tag_set, text, where)


def load(directory: Path = CORPUS_DIR) -> list[Line]:
    """Every line of the corpus, in file order; raises CorpusError on a bad line or id."""
    lines: list[Line] = []
    for path in sorted(directory.glob("*/*.tsv")):
        lines.extend(_parse(path))
    seen: dict[str, str] = {}
    for line in lines:
        if line.id in seen:
            raise CorpusError(f"{line.source}: id {line.id} is also at {seen[line.id]}")
        seen[line.id] = line.source
    return lines


def heldout_ids() -> frozenset[str]:
    text = HELDOUT_FILE.read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@dataclass(frozen=True)
class Split:
    train: tuple[Line, ...]
    heldout: tuple[Line, ...]


def split(lines: Sequence[Line] | None = None) -> Split:
    lines = load() if lines is None else lines
    held = heldout_ids()
    return Split(
        train=tuple(line for line in lines if line.id not in held),
        heldout=tuple(line for line in lines if line.id in held),
    )


def digest(lines: Iterable[Line]) -> str:
    """A hash of what the lines say and how they are labelled (order-independent)."""
    rows = sorted(
        "\t".join((line.id, line.lang, line.category, line.level, line.text)) for line in lines
    )
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()


# --- near duplicates -------------------------------------------------------------


def words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


def _near(a: frozenset[str], b: frozenset[str]) -> bool:
    if len(a) < 3 or len(b) < 3:
        return a == b
    return len(a & b) / len(a | b) >= NEAR_DUPLICATE


def near_duplicates(lines: Sequence[Line]) -> list[tuple[Line, Line]]:
    """Pairs of lines whose word sets overlap at least NEAR_DUPLICATE (Jaccard).

    Exact, by prefix filtering: with each set's words ordered rarest first,
    two sets that similar share a word among the first |s| - ceil(t|s|) + 1.
    """
    sets = [words(line.text) for line in lines]
    frequency = Counter(word for s in sets for word in s)
    index: dict[str, list[int]] = defaultdict(list)
    pairs: list[tuple[Line, Line]] = []
    for i, s in enumerate(sets):
        ordered = sorted(s, key=lambda word: (frequency[word], word))
        size = len(ordered)
        prefix = size - math.ceil(NEAR_DUPLICATE * size) + 1 if size >= 3 else size
        candidates: set[int] = set()
        for word in ordered[:prefix]:
            candidates.update(index[word])
            index[word].append(i)
        pairs.extend((lines[j], lines[i]) for j in sorted(candidates) if _near(sets[j], s))
    return pairs


def draw_heldout(lines: Sequence[Line], *, share: float = 0.25, seed: int = 2026) -> list[str]:
    """The ids of a held-out split, drawn once (`manage.py draw_heldout`, then committed).

    Stratified by language and category; near-duplicate lines fall on one side
    together, so that nothing held out was seen in training in other words.
    """
    import random

    parent = list(range(len(lines)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    position = {line.id: i for i, line in enumerate(lines)}
    for a, b in near_duplicates(lines):
        parent[root(position[a.id])] = root(position[b.id])
    groups: dict[int, list[Line]] = defaultdict(list)
    for i, line in enumerate(lines):
        groups[root(i)].append(line)
    strata: dict[tuple[str, str], list[list[Line]]] = defaultdict(list)
    for group in groups.values():
        strata[(group[0].language, group[0].category)].append(group)
    rng = random.Random(seed)
    held: list[str] = []
    for key in sorted(strata):
        bunch = sorted(strata[key], key=lambda g: g[0].id)
        rng.shuffle(bunch)
        target = round(share * sum(len(g) for g in bunch))
        taken = 0
        for group in bunch:
            if taken >= target:
                break
            held.extend(line.id for line in group)
            taken += len(group)
    return sorted(held)
