"""`manage.py retrain_risk_model`: the corpus's training lines plus the service's
labels, measured on the held-out split before and after, and a worse model refused.

Over the hashed embedder and a few hundred of the corpus's lines (as
tests/moderation/test_training.py), not e5 and the whole corpus (minutes). Still
slow for a test (about 15 s each): a retraining trains and calibrates two
models, and what is tested is that whole run, so two tests do it.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.management import CommandError, call_command

from chat.models import Message
from moderation import corpus, risk_model
from moderation.corpus import EVERYDAY, RISK_CATEGORIES
from moderation.models import Label

pytestmark = pytest.mark.django_db


def _some(lines, per_risk: int, everyday: int):
    picked = []
    for category in (*RISK_CATEGORIES, EVERYDAY):
        own = [line for line in lines if line.category == category]
        picked.extend(own[: everyday if category == EVERYDAY else per_risk])
    return tuple(picked)


@pytest.fixture(scope="module")
def small_split():
    full = corpus.split()
    return corpus.Split(train=_some(full.train, 30, 120), heldout=_some(full.heldout, 15, 80))


@pytest.fixture
def local_dir(tmp_path, settings, monkeypatch, small_split):
    monkeypatch.setenv("VILLAGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(corpus, "split", lambda lines=None: small_split)
    settings.VILLAGE_LOCAL_MODEL_DIR = str(tmp_path / "local-model")
    return tmp_path / "local-model"


def label(*, room, author, coordinator, text: str, verdict: str, category: str = ""):
    message = Message.objects.create(
        room=room,
        author=author,
        client_id=uuid.uuid4(),
        body=text,
        status="published",
    )
    return Label.objects.create(
        message=message,
        subject=author,
        verdict=verdict,
        category=category,
        labelled_by=coordinator,
    )


def retrain(capsys):
    call_command("retrain_risk_model", "--embedder", "hashed")
    return capsys.readouterr().out


def test_labels_that_flip_categories_give_a_worse_model_which_is_refused_and_not_written(
    local_dir, small_split, capsys, open_room, mum, coordinator
):
    """As a careless or mistaken run of verdicts would: every self-harm line
    the corpus trains on, "not a risk"."""
    for line in small_split.train:
        if line.category in ("self_harm", "psychosis"):
            for _ in range(3):
                label(
                    room=open_room,
                    author=mum,
                    coordinator=coordinator,
                    text=line.text,
                    verdict="not_a_risk",
                )
    with pytest.raises(CommandError, match="does worse") as refused:
        call_command("retrain_risk_model", "--embedder", "hashed")
    out = capsys.readouterr().out
    assert "Before:" in out and "After:" in out and out.count("recall self_harm") == 2
    assert "recall self_harm" in str(refused.value) or "recall psychosis" in str(refused.value)
    assert not (local_dir / risk_model.LOCAL_ARTEFACT).exists()
    assert not list(local_dir.glob("*.npz"))


def test_good_labels_give_a_model_that_is_written_and_used_from_then_on(
    local_dir, small_split, capsys, settings, monkeypatch, open_room, mum, coordinator
):
    """Also: the held-out lines never train it, and the shipped model is untouched."""
    from moderation import training

    # Coordinators confirming what the corpus already says: risks it trains on, missed.
    for category in RISK_CATEGORIES:
        for line in [line for line in small_split.train if line.category == category][:1]:
            label(
                room=open_room,
                author=mum,
                coordinator=coordinator,
                text=line.text,
                verdict="missed",
                category=category,
            )
    seen = []
    real_train = training.train

    def recording(*, embedder, lines=None):
        seen.extend(lines)
        return real_train(embedder=embedder, lines=lines)

    monkeypatch.setattr(training, "train", recording)
    shipped = risk_model.ARTEFACTS["e5"].read_bytes()
    out = retrain(capsys)
    assert risk_model.ARTEFACTS["e5"].read_bytes() == shipped
    assert seen and not {line.id for line in small_split.heldout} & {line.id for line in seen}
    assert "6 from this service's labels" in out and "No worse than before" in out
    artefact = local_dir / risk_model.LOCAL_ARTEFACT
    written = json.loads(artefact.read_text(encoding="utf-8"))
    assert written["labels"] == {"used": 6} and written["local"] is True
    assert written["training_data"]["lines"] == len(small_split.train) + 6
    assert (local_dir / "figures.json").exists()

    settings.VILLAGE_RISK_MODEL = "e5"
    model = risk_model.current()
    assert model is not None and model.version == written["version"]
    assert model.embedder.name == risk_model.HashedEmbedder.name
    assert risk_model.recommended_thresholds() == written["thresholds"]
    settings.VILLAGE_RISK_MODEL = "off"
    assert risk_model.current() is None


def test_a_local_model_directory_inside_the_code_is_refused(settings, tmp_path):
    settings.VILLAGE_LOCAL_MODEL_DIR = str(risk_model.MODEL_DIR)
    with pytest.raises(CommandError, match="inside the moderation package"):
        call_command("retrain_risk_model", "--embedder", "hashed")
