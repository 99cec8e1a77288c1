"""Words typed into the queue's actions go through a form: a length limit, a NUL byte
refused in plain words, and an escalation alerts the coordinators once."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditEntry
from moderation import services
from moderation.forms import NUL_REFUSED
from moderation.models import Flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(monkeypatch):
    """Each alert is an email to every coordinator (tests/chat/test_notifications.py)."""
    sent = []
    monkeypatch.setattr(services, "alert_coordinators_on_commit", lambda: sent.append(1))
    return sent


def told(response) -> str:
    """What the page after this action says (the last message; reading them uses them up)."""
    said = [str(m) for m in get_messages(response.wsgi_request)]
    return said[-1] if said else ""


def escalate(client, flag, note):
    return client.post(reverse("flag_act", args=[flag.pk, "escalate"]), {"note": note})


def test_an_escalation_note_with_a_nul_byte_is_refused_in_plain_words(
    client, volunteer, red_flag, alerts
):
    client.force_login(volunteer)
    response = escalate(client, red_flag, "she said\x00 something")
    assert response.status_code == 302
    assert NUL_REFUSED in told(response)
    red_flag.refresh_from_db()
    assert red_flag.escalated_at is None and alerts == []
    assert not AuditEntry.objects.filter(action="flag_escalated").exists()


def test_a_200000_character_note_never_reaches_the_audit_log(client, volunteer, red_flag, alerts):
    client.force_login(volunteer)
    response = escalate(client, red_flag, "x" * 200_000)
    assert "Please keep this to 1000 characters or fewer (it has 200000)." in told(response)
    assert not AuditEntry.objects.filter(action="flag_escalated").exists()
    response = escalate(client, red_flag, "She mentioned her partner. " * 10)
    assert told(response) == "The coordinators have been told."
    assert AuditEntry.objects.get(action="flag_escalated").reason.startswith("She mentioned")


def test_escalating_again_alerts_nobody_again(client, volunteer, red_flag, alerts):
    client.force_login(volunteer)
    escalate(client, red_flag, "please look")
    for _ in range(3):
        response = escalate(client, red_flag, "please look")
        assert told(response) == "The coordinators already have this one."
    assert len(alerts) == 1
    assert AuditEntry.objects.filter(action="flag_escalated").count() == 1


def test_the_service_refuses_a_note_the_audit_log_must_not_take(volunteer, red_flag):
    for note in ("a\x00b", "x" * 1001):
        with pytest.raises(ValueError):
            services.escalate_flag(actor=volunteer, flag_id=red_flag.pk, note=note)
    assert not AuditEntry.objects.filter(action="flag_escalated").exists()


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("resolve", {"outcome": "no_action", "note": "fine\x00"}),
        ("warn", {"note": "please be kind\x00"}),
        ("mute", {"scope": "room", "minutes": "60", "reason": "\x00"}),
        ("suspend", {"reason": "threats\x00"}),
    ],
)
def test_every_sanction_refuses_a_nul_byte_kindly(client, coordinator, red_flag, action, data):
    client.force_login(coordinator)
    before = AuditEntry.objects.count()
    response = client.post(reverse("flag_sanction", args=[red_flag.pk, action]), data)
    assert response.status_code == 302 and NUL_REFUSED in told(response)
    assert AuditEntry.objects.count() == before


def test_a_concern_with_a_nul_byte_is_refused_beside_the_field(client, volunteer, mum, group_room):
    client.force_login(volunteer)
    response = client.post(
        reverse("raise_concern"), {"member": mum.pk, "level": "RED", "note": "low\x00"}
    )
    assert response.status_code == 200 and "NUL byte" in response.content.decode()
    assert not Flag.objects.exists()


def test_a_rule_switch_still_turns_a_rule_off_and_on(client, coordinator):
    from moderation.models import Rule

    rule = Rule.objects.filter(enabled=True).first()
    client.force_login(coordinator)
    url = reverse("moderation_rule_switch", args=[rule.pk])
    client.post(url, {"enabled": "off", "query": "level=RED&page=2"})
    rule.refresh_from_db()
    assert not rule.enabled
    response = client.post(url, {"enabled": "on", "query": "x" * 5000})
    rule.refresh_from_db()
    assert rule.enabled is False and response.status_code == 302  # refused, not a 500
    client.post(url, {"enabled": "on"})
    rule.refresh_from_db()
    assert rule.enabled
