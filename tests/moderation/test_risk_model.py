"""The shipped risk model (moderation/model/): what it was trained on, how it loads, what it reads.

The real e5 model, in-process; its held-out figures are `make eval-moderation`'s.
"""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest

from moderation import corpus, evaluation, risk_model
from moderation.corpus import RISK_CATEGORIES

ARTEFACT = risk_model.ARTEFACTS["e5"]


@pytest.fixture(scope="module")
def model() -> risk_model.RiskModel:
    return risk_model.load(ARTEFACT)


@pytest.fixture(scope="module")
def artefact() -> dict:
    return json.loads(ARTEFACT.read_text(encoding="utf-8"))


def test_it_was_trained_on_the_training_split_as_it_is_now(artefact):
    split = corpus.split()
    assert artefact["training_data"] == {
        "sha256": corpus.digest(split.train),
        "lines": len(split.train),
    }
    assert artefact["heldout"]["sha256"] == corpus.digest(split.heldout)
    assert evaluation.read_figures()["heldout"]["sha256"] == corpus.digest(split.heldout)


def test_the_artefact_is_json_and_plain_arrays_that_load_without_pickle(artefact):
    with np.load(risk_model.arrays_path(ARTEFACT), allow_pickle=False) as arrays:
        for category in RISK_CATEGORIES:
            assert arrays[f"coef_{category}"].dtype == np.float32
        assert arrays["char_vocabulary"].dtype.kind == "U"
    assert set(artefact["heads"]) == set(RISK_CATEGORIES)
    for category, values in artefact["thresholds"].items():
        assert 0 < values["review"] <= values.get("red", values["review"]) < 1, category


def test_it_loads_and_scores_with_the_network_off(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the model tried to reach the network")

    with monkeypatch.context() as patched:
        patched.setattr(socket, "socket", no_network)
        patched.setattr(socket, "create_connection", no_network)
        fresh = risk_model.load(ARTEFACT)
        scores = fresh.score("everything feels heavy today")
    assert set(scores) == set(RISK_CATEGORIES)
    assert all(0.0 <= value <= 1.0 for value in scores.values())


def test_the_same_text_scores_the_same_every_time(model):
    text = "i have stopped eating and i have written letters to everyone"
    assert model.score(text) == model.score(text) == risk_model.load(ARTEFACT).score(text)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I've been quietly saving up my pills in a sock drawer for when I'm ready", "self_harm"),
        ("chcę się zabić, nie dam rady dłużej", "self_harm"),
        ("the voices in the radio say my baby was swapped at the hospital", "psychosis"),
        ("he locked me in the bedroom again and took my phone", "abuse_dv"),
        ("message me on whatsapp 07700 900123 babe", "contact"),
        ("you're a pathetic excuse for a mother, nobody here likes you", "hostility"),
    ],
)
def test_it_reads_risk_in_words_the_rules_were_not_written_from(model, text, category):
    scores = model.score(text)
    assert max(scores, key=lambda c: scores[c]) == category


@pytest.mark.parametrize(
    "text",
    [
        "teething is killing me, third night up",
        "she took 120ml and slept till 6, miracle",
        "health visitor weighed him today, 14lb 2oz",
    ],
)
def test_everyday_lines_stay_below_every_review_threshold(model, artefact, text):
    scores = model.score(text)
    for category, value in scores.items():
        assert value < artefact["thresholds"][category]["review"], (category, value)


def test_risk_at_the_end_of_a_long_message_is_still_read(model):
    chatter = (
        "so we went to soft play and then the bus was late and my mum rang about sunday "
        "dinner and the washing machine is leaking again and baby had a blowout in tesco "
    ) * 8
    risk = "I've decided tonight is the night I end my life, I've got everything ready"
    assert len(chatter) > 3 * risk_model.WINDOW
    assert model.score(chatter + risk)["self_harm"] >= 0.5 * model.score(risk)["self_harm"]
