"""Training the heads (moderation.training): deterministic, held-out lines never seen.

These use the hashed n-gram embedder, so they take a second and need no e5;
tests/moderation/test_risk_model.py holds the shipped model to its figures.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from moderation import corpus, risk_model, training
from moderation.corpus import RISK_CATEGORIES


class RecordingEmbedder(risk_model.HashedEmbedder):
    name = "recording"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts):
        self.seen.extend(texts)
        return super().embed(texts)


HEAD_AT_ZERO = risk_model.Head(coef=np.zeros(1), intercept=0.0, platt_a=-1.0, platt_b=0.0)


class ZeroEmbedder(RecordingEmbedder):
    """Records what it is given and returns zeros: for following the data, not scoring."""

    def embed(self, texts):
        self.seen.extend(texts)
        return np.zeros((len(texts), self.dim), dtype=np.float32)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VILLAGE_CACHE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def some_lines():
    """A few hundred training lines of every category, in file order."""
    train = corpus.split().train
    picked: list[corpus.Line] = []
    for category in (*RISK_CATEGORIES, corpus.EVERYDAY):
        own = [line for line in train if line.category == category]
        picked.extend(own[: 120 if category == corpus.EVERYDAY else 40])
    return picked


def test_training_never_reads_a_heldout_line(cache, monkeypatch):
    """What reaches the embedder and the n-grams is the training split, all of it."""
    fitted = []
    monkeypatch.setattr(
        training, "_fit_head", lambda rows, labels: fitted.append(rows.shape) or HEAD_AT_ZERO
    )
    embedder = ZeroEmbedder()
    split = corpus.split()
    model = training.train(embedder=embedder)
    assert sorted(embedder.seen) == sorted(line.text for line in split.train)
    assert not {line.text for line in split.heldout} & set(embedder.seen)
    assert fitted == [(len(split.train), embedder.dim + model.ngrams.size)] * len(RISK_CATEGORIES)


def test_the_same_lines_give_the_same_artefact_twice(cache, some_lines):
    first = training.artefact(
        training.train(embedder=risk_model.HashedEmbedder(), lines=some_lines), extra={}
    )
    for path in cache.iterdir():
        path.unlink()  # the second run embeds afresh
    second = training.artefact(
        training.train(embedder=risk_model.HashedEmbedder(), lines=some_lines), extra={}
    )
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert first["training_data"]["sha256"] == corpus.digest(some_lines)


def test_the_artefact_is_json_that_loads_back_to_the_same_scores(cache, some_lines, tmp_path):
    model = training.train(embedder=risk_model.HashedEmbedder(), lines=some_lines)
    path = tmp_path / "model.json"
    training.save(model, path, extra={})
    loaded = risk_model.load(path)
    text = "i have been saving my tablets and i know when i will take them"
    assert loaded.score(text) == model.score(text)
    assert set(loaded.score(text)) == set(RISK_CATEGORIES)


def test_an_artefact_for_another_embedder_is_refused(cache, some_lines, tmp_path):
    model = training.train(embedder=risk_model.HashedEmbedder(), lines=some_lines)
    path = tmp_path / "model.json"
    training.save(model, path, extra={})
    data = json.loads(path.read_text(encoding="utf-8"))
    data["embedder"]["name"] = "something-else"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(risk_model.ModelUnavailable, match="something-else"):
        risk_model.load(path)


def test_embeddings_are_cached_between_runs(cache):
    embedder = RecordingEmbedder()
    first = training.embed_cached(embedder, ["one line", "another line"])
    again = training.embed_cached(embedder, ["another line", "one line"])
    assert sorted(embedder.seen) == ["another line", "one line"]  # each embedded once
    assert np.array_equal(first[::-1], again)


def test_long_messages_are_scored_in_bounded_overlapping_windows():
    text = " ".join(f"word{n}" for n in range(400))  # about 2,700 characters
    pieces = risk_model.windows(text)
    assert len(pieces) > 5
    assert all(len(piece) <= risk_model.WINDOW for piece in pieces)
    assert pieces[0].split()[0] == "word0" and pieces[-1].split()[-1] == "word399"
    for before, after in zip(pieces, pieces[1:], strict=False):
        assert set(before.split()) & set(after.split())  # they overlap: nothing falls between
    assert risk_model.windows("short and sweet") == ["short and sweet"]


def test_the_longest_message_is_scored_in_at_most_four_windows_first_and_last_among_them():
    text = " ".join(f"word{n}" for n in range(300))  # 2,000 characters, the longest allowed
    every = risk_model.windows(text)
    scored = risk_model.windows_to_score(text)
    assert len(every) > risk_model.MAX_WINDOWS == len(scored)
    assert scored[0] == every[0] and scored[-1] == every[-1]
    assert risk_model.windows_to_score("short") == ["short"]


def test_a_long_message_scores_as_its_most_worrying_window(cache, some_lines):
    model = training.train(embedder=risk_model.HashedEmbedder(), lines=some_lines)
    risk = next(line.text for line in some_lines if line.category == "self_harm")
    chatter = "we went to the park and fed the ducks and the baby napped in the pram " * 12
    text = chatter + risk
    each = model.score_many(risk_model.windows(text))
    whole = model.score(text)
    for category in RISK_CATEGORIES:
        assert whole[category] == max(window[category] for window in each)
