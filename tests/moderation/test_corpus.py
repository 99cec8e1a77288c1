"""The corpus's shape (moderation/corpus/README.md): sizes, labels, languages, the split."""

from __future__ import annotations

from collections import Counter

import pytest

from moderation import corpus
from moderation.corpus import LANGUAGES, RISK_CATEGORIES, CorpusError, Line


@pytest.fixture(scope="module")
def lines() -> list[Line]:
    return corpus.load()


def test_the_corpus_has_five_thousand_lines_and_at_least_45_percent_everyday(lines):
    everyday = sum(not line.is_risk for line in lines)
    assert len(lines) >= 5000
    assert everyday / len(lines) >= 0.45


def test_every_category_and_level_of_safeguarding_md_is_there(lines):
    found = Counter((line.category, line.level) for line in lines)
    for category, levels in corpus.LEVELS.items():
        for level in levels:
            assert found[(category, level)] >= 20, (category, level)


def test_every_tag_is_used_and_both_authors_write(lines):
    used = Counter(tag for line in lines for tag in line.tags)
    for tag in corpus.RISK_TAGS | corpus.EVERYDAY_TAGS:
        assert used[tag] >= 20, tag
    authors = Counter((line.author, line.is_risk) for line in lines)
    assert authors[("staff", False)] >= 300  # signposting and training talk
    assert authors[("member", True)] >= 2000


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_each_other_language_has_40_risk_lines_a_category_and_as_many_everyday(lines, language):
    own = [line for line in lines if line.language == language]
    per_category = Counter(line.category for line in own if line.is_risk)
    for category in RISK_CATEGORIES:
        assert per_category[category] >= 40, category
    assert sum(not line.is_risk for line in own) >= 40 * len(RISK_CATEGORIES)


def test_urdu_is_written_in_both_scripts(lines):
    scripts = Counter(line.lang for line in lines if line.language == "ur" and line.is_risk)
    assert scripts["ur"] >= 100 and scripts["ur-Latn"] >= 100


def test_other_language_files_ask_for_native_review():
    for path in sorted(corpus.CORPUS_DIR.glob("*/*.tsv")):
        if path.parent.name != "en":
            head = path.read_text(encoding="utf-8").splitlines()[0]
            assert "native speakers" in head, path


def test_the_heldout_split_is_a_fixed_list_of_ids_that_all_exist(lines):
    ids = {line.id for line in lines}
    held = corpus.heldout_ids()
    assert held <= ids
    split = corpus.split(lines)
    assert 0.2 <= len(split.heldout) / len(lines) <= 0.3
    cells = Counter((line.language, line.category) for line in split.heldout)
    for language in LANGUAGES:
        for category in (*RISK_CATEGORIES, corpus.EVERYDAY):
            assert cells[(language, category)] >= 8, (language, category)


def test_no_line_across_the_split_is_a_near_duplicate_of_another(lines):
    held = corpus.heldout_ids()
    across = [
        (a.id, b.id, a.text, b.text)
        for a, b in corpus.near_duplicates(lines)
        if (a.id in held) != (b.id in held)
    ]
    assert across == []


def test_near_duplicates_are_found_when_one_word_changes():
    def line(id_: str, text: str) -> Line:
        return Line(id_, "en", "self_harm", "RED", "member", frozenset({"direct"}), text, "")

    pairs = corpus.near_duplicates(
        [
            line("en-sh-0001", "i want to die tonight honestly"),
            line("en-sh-0002", "i want to die today honestly"),
            line("en-sh-0003", "nobody would notice if i was gone"),
        ]
    )
    assert [(a.id, b.id) for a, b in pairs] == [("en-sh-0001", "en-sh-0002")]


def test_a_bad_line_is_refused_with_where_and_why(tmp_path, monkeypatch):
    folder = tmp_path / "en"
    folder.mkdir()
    (folder / "x.tsv").write_text(
        "en-sh-0001\ten\tpsychosis\tAMBER\tmember\tdirect\thearing things\n", encoding="utf-8"
    )
    monkeypatch.setattr(corpus, "CORPUS_DIR", tmp_path)
    with pytest.raises(CorpusError, match=r"en/x.tsv:1: level AMBER is not one of psychosis's"):
        corpus.load(tmp_path)
