"""The model beside the rules on send, on the queue, on the settings page and in "try a message".

The scripted model (tests/moderation/scripted_model.json) scores only the
phrases it names, words no rule matches ("scripted reading alpha" is
self_harm at 0.999); the recommended thresholds are those shipped with the
real model (moderation/model/risk_model.json).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from chat.models import Message
from moderation import risk_model, ruleset
from moderation.models import Flag, SiteSettings
from tests.moderation.messages import send
from tests.moderation.test_rules_pages import settings_data

pytestmark = pytest.mark.django_db

MODEL_SELF_HARM = "honestly, scripted reading alpha"
MODEL_BABY_HARM = "scripted reading charlie, sorry"
MODEL_WORRY = "a heavy day, scripted reading bravo"  # self_harm 0.55
SETTINGS = reverse("moderation_settings")
RULES = reverse("moderation_rules")


@pytest.fixture(autouse=True)
def fresh_rules():
    ruleset.forget()
    yield
    ruleset.forget()


def test_the_model_alone_holds_a_red_message_and_says_so_on_the_flag(
    mum, open_room, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        send(mum, open_room.pk, MODEL_SELF_HARM)
    message = Message.objects.get()
    flag = Flag.objects.get()
    assert message.status == "held"
    assert (flag.level, flag.category, flag.source) == ("RED", "self_harm", Flag.Source.MODEL)
    assert flag.model_scores["self_harm"] == 0.999
    assert flag.model_version == "scripted:scripted_model.json"
    assert flag.detail == ""  # no rule matched


def test_the_model_holds_baby_harm_for_the_volunteers_at_amber(
    mum, open_room, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        send(mum, open_room.pk, MODEL_BABY_HARM)
    flag = Flag.objects.get()
    assert Message.objects.get().status == "held"
    assert (flag.level, flag.category) == ("AMBER", "baby_harm")


def test_below_the_review_threshold_nothing_is_flagged_but_a_rule_still_counts(
    mum, open_room, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        send(mum, open_room.pk, MODEL_WORRY)
        send(mum, open_room.pk, "I want to end it all tonight")
    worry, rule_red = Message.objects.order_by("pk")
    assert worry.status == "published" and not worry.flags.exists()
    flag = rule_red.flags.get()
    assert (flag.level, flag.source) == ("RED", Flag.Source.SCANNER)
    assert "self_harm" in flag.detail
    assert flag.model_scores == dict.fromkeys(flag.model_scores, 0.0)  # ran, read nothing


def test_the_queue_card_shows_why_the_rules_and_the_model_matched(
    client, coordinator, mum, open_room, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        send(mum, open_room.pk, MODEL_SELF_HARM)
        send(mum, open_room.pk, "you are a rubbish mum, scripted reading foxtrot")
    client.force_login(coordinator)
    html = client.get(reverse("moderation_queue")).content.decode()
    assert "Raised by the risk model alone: it reads <strong>self_harm</strong> at 1.00" in html
    assert "Rules matched: hostility: " in html
    assert "The risk model reads <strong>hostility</strong> at 1.00" in html


def test_a_coordinator_lowers_a_threshold_and_the_model_flags_at_it(
    client, coordinator, mum, open_room, django_capture_on_commit_callbacks
):
    recommended = risk_model.recommended_thresholds()["self_harm"]["review"]
    assert recommended > 0.55  # the worry line is below it until she lowers it
    client.force_login(coordinator)
    page = client.get(SETTINGS).content.decode()
    choice = re.search(r'<option value="0.50"[^>]*>([^<]*)</option>', page)
    assert choice and re.search(r"0.50: \d+% caught, [\d.]+ false alarms in 1,000", choice.group(1))
    assert re.search(r"it caught \d+ of \d+ held-out self_harm lines and raised \d+ false", page)
    assert "(recommended)" in page
    response = client.post(SETTINGS, settings_data(review_self_harm="0.50"))
    assert response.status_code == 302
    assert SiteSettings.objects.get().model_thresholds == {"self_harm": {"review": 0.5}}
    with django_capture_on_commit_callbacks(execute=False):
        send(mum, open_room.pk, MODEL_WORRY)
    flag = Flag.objects.get()
    assert (flag.level, flag.category, flag.source) == ("AMBER", "self_harm", Flag.Source.MODEL)


def test_a_red_threshold_below_the_review_one_is_refused_and_nothing_changes(client, coordinator):
    client.force_login(coordinator)
    response = client.post(SETTINGS, settings_data(review_self_harm="0.90", red_self_harm="0.50"))
    assert response.status_code == 200
    assert "The red threshold for self_harm must be at least its review threshold." in (
        response.content.decode()
    )
    assert SiteSettings.objects.get().model_thresholds == {}


def test_switching_the_model_off_leaves_the_rules_to_decide_alone(
    client, coordinator, mum, open_room, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    client.post(SETTINGS, settings_data(model_enabled=""))
    assert SiteSettings.objects.get().model_enabled is False
    with django_capture_on_commit_callbacks(execute=False):
        send(mum, open_room.pk, MODEL_SELF_HARM)
    assert Message.objects.get().status == "published"
    assert not Flag.objects.exists()


def test_trying_a_message_shows_the_models_reading_beside_the_rules(client, coordinator):
    client.force_login(coordinator)
    html = client.post(RULES, {"text": MODEL_SELF_HARM}).content.decode()
    result = html.split('data-testid="try-result"')[1]
    assert 'data-outcome="hold"' in result and 'data-level="RED"' in result
    assert re.search(
        r'<li data-category="self_harm" data-score="1.00">self_harm: 1.00, raises RED', result
    )
    calm = client.post(RULES, {"text": "the baby slept for once"}).content.decode()
    assert "No rule matched." in calm and "below its review threshold" in calm
