"""Messages written in words the rules were not first written from, screened by the
default rules and the shipped model together (services.scan_text), come out as
SAFEGUARDING.md says. These were the examples that used to be published unflagged.
"""

from __future__ import annotations

import pytest

from moderation import risk_model, ruleset, services

pytestmark = pytest.mark.django_db

# (message, level, category); None: nothing raised
EXAMPLES = [
    ("I've been putting my tablets aside in an envelope", "RED", "self_harm"),
    ("I've worked out which bridge has no railings", "RED", "self_harm"),
    ("the neighbours' dog is sending me signals about what to do with her", "RED", "psychosis"),
    ("he won't let me have a key to our own flat", "AMBER", "abuse_dv"),
    ("he threw the kettle at the wall and said next time it's me", "RED", "abuse_dv"),
    ("look after my boy for me, thank you all", "RED", "self_harm"),
    ("he told me I'm not walking out of here in one piece", "RED", "abuse_dv"),
    ("I can't see a reason to keep going", "RED", "self_harm"),
    ("suacide", "RED", "self_harm"),
    ("wana end it", "RED", "self_harm"),
    ("kil myslef", "RED", "self_harm"),
    ("ctb", "RED", "self_harm"),
    ("🪦 soon", "RED", "self_harm"),
    ("I'm on the app with the ghost, same name as here", "AMBER", "contact"),
    ("search my name on the photo app", "AMBER", "contact"),
    (
        "grab a coffee after baby group, just the two of us, don't tell the others",
        "AMBER",
        "contact",
    ),
]
NOT_ALARMING = [
    "I'd never act on it, I'm just worn out and moaning",
    "If you're not safe at home, the National Domestic Abuse Helpline is free on "
    "0808 2000 247, any time",
]


@pytest.fixture(autouse=True)
def real_model(settings):
    settings.VILLAGE_RISK_MODEL = "e5"
    ruleset.forget()
    yield
    ruleset.forget()


@pytest.mark.parametrize(("text", "level", "category"), EXAMPLES)
def test_risk_in_other_words_reaches_a_human_at_its_level(text, level, category):
    verdict = services.scan_text(text=text)
    assert (verdict.level, verdict.category) == (level, category)
    assert verdict.needs_flag


@pytest.mark.parametrize("text", NOT_ALARMING)
def test_a_denial_and_a_volunteer_signposting_a_helpline_raise_nothing(text):
    verdict = services.scan_text(text=text)
    assert verdict.action == "publish" and not verdict.needs_flag


def test_the_real_model_is_the_one_screening_here():
    assert isinstance(risk_model.current(), risk_model.RiskModel)
