"""`manage.py scan_text`: one message a line in, one JSON object a line out.

Plain `db` tests, so the default rules from the data migration are loaded.
"""

import io
import json

import pytest
from django.core.management import call_command

from moderation import ruleset
from moderation.models import Rule

pytestmark = pytest.mark.django_db

KEYS = {"text", "action", "level", "matches"}
MATCH_KEYS = {"source", "rule", "category", "level", "start", "end"}


@pytest.fixture(autouse=True)
def fresh_rules():
    ruleset.forget()
    yield
    ruleset.forget()


def scan(monkeypatch, text: str, *args) -> list[dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    out = io.StringIO()
    call_command("scan_text", *args, stdout=out)
    lines = out.getvalue().split("\n")
    assert lines[-1] == ""  # every object ends its line
    return [json.loads(line) for line in lines[:-1]]


def test_prints_one_json_object_per_line_with_the_documented_keys(monkeypatch):
    text = "I want to end it all\nring me on 07911 123456\nthe baby slept for once\n"
    results = scan(monkeypatch, text)
    assert len(results) == 3
    for result in results:
        assert set(result) == KEYS
        for match in result["matches"]:
            assert set(match) == MATCH_KEYS
    assert [r["text"] for r in results] == text.splitlines()


def test_classifies_red_contact_and_ordinary_lines(monkeypatch):
    red, contact, none = scan(
        monkeypatch,
        "I want to end it all\nring me on 07911 123456\nI could murder a cup of tea\n",
    )

    assert red["action"] == "hold" and red["level"] == "RED"
    self_harm = [m for m in red["matches"] if m["category"] == "self_harm"]
    assert self_harm and all(m["level"] == "RED" for m in self_harm)
    rule = Rule.objects.get(pk=self_harm[0]["rule"])
    assert rule.category == "self_harm"
    start, end = self_harm[0]["start"], self_harm[0]["end"]
    assert 0 <= start < end <= len(red["text"])

    assert contact["action"] == "hold"
    text = contact["text"]
    number = text.index("07911")
    phone = [
        m
        for m in contact["matches"]
        if m["category"] == "contact" and m["start"] <= number < m["end"]
    ]
    assert phone and text[phone[0]["start"] : phone[0]["end"]].strip() == "07911 123456"
    assert isinstance(phone[0]["rule"], int | str)

    assert none == {
        "text": "I could murder a cup of tea",
        "action": "publish",
        "level": None,
        "matches": [],
    }


def test_an_amber_match_is_printed_as_flag(monkeypatch):
    rule = Rule.objects.create(term="zorblax*", category="hostility", level="AMBER")
    (result,) = scan(monkeypatch, "you zorblaxes\n")
    assert result["action"] == "flag" and result["level"] == "AMBER"
    assert result["matches"] == [
        {
            "source": "rule",
            "rule": rule.pk,
            "category": "hostility",
            "level": "AMBER",
            "start": 4,
            "end": 13,
        }
    ]


def test_a_red_line_in_a_one_to_one_chat_is_delivered_and_flagged(monkeypatch):
    (result,) = scan(monkeypatch, "I want to end it all\n", "--room-kind", "direct")
    assert result["action"] == "flag" and result["level"] == "RED"


def test_switched_off_rules_are_not_used(monkeypatch):
    rule = Rule.objects.create(term="zorblax*", category="hostility", level="AMBER", enabled=False)
    (result,) = scan(monkeypatch, "you zorblaxes\n")
    assert all(m["rule"] != rule.pk for m in result["matches"])
    assert result["action"] == "publish"


def test_empty_lines_are_printed_as_publish(monkeypatch):
    results = scan(monkeypatch, "\n   \nhello\n\n")
    assert [r["text"] for r in results] == ["", "   ", "hello", ""]
    assert all(r["action"] == "publish" and r["matches"] == [] for r in results)
    assert all(r["level"] is None for r in results[:2])


def test_any_unicode_and_very_long_lines_give_valid_json(monkeypatch):
    lines = [
        "Ça va 👶🏽 我很累 مرحبا",
        "line\u2028separator and NEL\x85 inside",
        "lone surrogate \ud800 here",
        "tab\tand control \x07 characters",
        "x" * 200_000 + " I want to end it all",
        "tired " * 20_000,
    ]
    results = scan(monkeypatch, "\n".join(lines))  # no newline after the last line
    assert len(results) == len(lines)
    assert results[0]["text"] == lines[0]
    assert results[1]["text"] == lines[1]
    assert results[2]["text"] == "lone surrogate \ufffd here"
    assert results[3]["text"] == lines[3]
    assert results[4]["level"] == "RED"
    assert results[5]["action"] == "publish"


def test_output_keeps_non_ascii_characters_unescaped(monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Ça va 👶\n"))
    out = io.StringIO()
    call_command("scan_text", stdout=out)
    assert "Ça va 👶" in out.getvalue()


def test_the_model_and_the_rules_both_show_with_their_source(monkeypatch):
    """The combined verdict: a rule's match and the model's, each saying where it came from."""
    rule = Rule.objects.create(term="zorblax*", category="hostility", level="AMBER")
    (result,) = scan(monkeypatch, "you zorblaxes, scripted reading alpha\n")
    assert result["action"] == "hold" and result["level"] == "RED"
    assert [m["rule"] for m in result["matches"] if m["source"] == "rule"] == [rule.pk]
    (model,) = [m for m in result["matches"] if m["source"] == "model"]
    assert model == {
        "source": "model",
        "rule": "model:self_harm",
        "category": "self_harm",
        "level": "RED",
        "start": 0,
        "end": len(result["text"]),
        "score": 0.999,
    }
