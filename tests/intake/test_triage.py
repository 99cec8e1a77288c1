"""Coordinators triage referrals: order, accept, ask, wait, decline; every step audited."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from intake import services
from intake.forms import DEFAULT_SIGNPOSTING
from intake.models import Referral
from tests.intake.referrals import MUM_EMAIL, make_referral, make_self_referral

pytestmark = pytest.mark.django_db

REFERRER_EMAIL = "hannah.visitor@nhs.example"
DISCREET = ("mental", "village", "perinatal", "depress", "referr", "rosalind")


def text(response) -> str:
    return html.unescape(response.content.decode())


def act(client, referral, action, data=None, *, capture):
    """POST one triage action, running what waits for the commit (emails)."""
    with capture(execute=True):
        return client.post(
            reverse("staff_referral_act", args=[referral.pk, action]), data or {}, follow=True
        )


def audit(referral, action):
    return AuditEntry.objects.filter(
        target_type="intake.referral", target_id=str(referral.pk), action=action
    )


def ids_in_order(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-referral-id="(\d+)"', page)]


def age(referral, **delta):
    Referral.objects.filter(pk=referral.pk).update(created_at=timezone.now() - timedelta(**delta))


@pytest.fixture
def cora(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


# --- the lists ------------------------------------------------------------------------


def test_triage_list_shows_urgent_referrals_first_then_the_oldest(cora):
    routine_old = make_referral(mum_name="Routine Old")
    urgent_new = make_referral(mum_name="Urgent New", screen_unsafe_at_home=True)
    routine_new = make_referral(mum_name="Routine New")
    urgent_old = make_referral(mum_name="Urgent Old", screen_suicide_plan=True)
    age(routine_old, days=9)
    age(urgent_new, days=1)
    age(routine_new, hours=2)
    age(urgent_old, days=3)

    page = text(cora.get(reverse("staff_referrals")))
    assert ids_in_order(page) == [urgent_old.pk, urgent_new.pk, routine_old.pk, routine_new.pk]
    # The screen's answers are on the list itself.
    assert "Safety screen: yes to suicide plan" in page
    assert "Safety screen: yes to unsafe at home" in page
    assert "Safety screen: no to all four questions" in page


def test_each_tab_lists_its_own_referrals(cora, coordinator):
    new = make_referral()
    asked = make_referral()
    waiting = make_referral()
    declined = make_referral()
    services.request_information(actor=coordinator, referral_id=asked.pk, note="Her GP?")
    services.put_on_waiting_list(actor=coordinator, referral_id=waiting.pk)
    services.decline_referral(
        actor=coordinator, referral_id=declined.pk, reason="Out of area", signposting="Home-Start"
    )
    triage = text(cora.get(reverse("staff_referrals")))
    assert set(ids_in_order(triage)) == {new.pk, asked.pk}
    assert "To triage (2)" in triage and "Waiting list (1)" in triage and "Decided (1)" in triage
    assert ids_in_order(text(cora.get(reverse("staff_referrals_waiting")))) == [waiting.pk]
    decided = text(cora.get(reverse("staff_referrals_decided")))
    assert reverse("staff_referral", args=[declined.pk]) in decided
    assert reverse("staff_referral", args=[new.pk]) not in decided


def test_referral_page_shows_everything_she_and_the_referrer_told_us(cora):
    referral = make_referral(screen_baby_harm=True, mum_phone="07700 900123")
    page = text(cora.get(reverse("staff_referral", args=[referral.pk])))
    for shown in (
        "Rosalind Smith",
        MUM_EMAIL,
        "07700 900123",
        "Polish, needs an interpreter",
        "1:1 befriending",
        "Birth trauma",
        "finding the nights very lonely",
        "Hannah Visitor",
        "Leeds Health Visiting Team",
        REFERRER_EMAIL,
        "The mum, who told the person referring her",
        "Is she having thoughts of harming her baby, with intent to act?",
        "nobody has said “I'm on it” yet",
    ):
        assert shown in page, shown


def test_waiting_list_shows_the_longest_wait_first_with_days_waited(cora, coordinator):
    referrals = [make_referral(mum_name=name) for name in ("Ann Short", "Bea Long", "Cat Mid")]
    for referral in referrals:
        services.put_on_waiting_list(actor=coordinator, referral_id=referral.pk)
    for referral, days in zip(referrals, (2, 30, 11), strict=True):
        Referral.objects.filter(pk=referral.pk).update(
            waiting_since=timezone.now() - timedelta(days=days, hours=1)
        )
    page = text(cora.get(reverse("staff_referrals_waiting")))
    short, long, mid = referrals
    assert ids_in_order(page) == [long.pk, mid.pk, short.pk]
    assert re.findall(r"Waiting (\d+) days?", page) == ["30", "11", "2"]


def test_accept_and_decline_work_from_the_waiting_list(cora, coordinator, capture):
    first, second = make_referral(), make_referral(mum_email="sam@example.net")
    for referral in (first, second):
        services.put_on_waiting_list(actor=coordinator, referral_id=referral.pk)
    response = act(cora, first, "accept", {"return_to": "waiting"}, capture=capture)
    assert response.redirect_chain[-1][0] == reverse("staff_referrals_waiting")
    assert f"Referral {first.pk}: Accepted" in text(response)
    response = act(
        cora,
        second,
        "decline",
        {"return_to": "waiting", "reason": "Full", "signposting": DEFAULT_SIGNPOSTING},
        capture=capture,
    )
    assert response.redirect_chain[-1][0] == reverse("staff_referrals_waiting")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("accepted", "declined")
    assert "Nobody is on the waiting list." in text(response)


# --- accept ----------------------------------------------------------------------------


def test_accept_emails_her_a_discreet_invitation_and_tells_the_referrer_with_consent(
    cora, coordinator, capture, settings
):
    referral = make_referral()
    response = act(cora, referral, "accept", capture=capture)
    assert "Her invitation to join is on its way" in text(response)

    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED
    assert referral.decided_by == coordinator and referral.decided_at is not None
    assert len(referral.invitation_token) >= 40
    assert referral.invitation_expires_at - referral.decided_at == timedelta(
        days=settings.VILLAGE_REFERRAL_INVITATION_DAYS
    )

    to_mum, to_referrer = mail.outbox
    assert to_mum.to == [MUM_EMAIL] and to_mum.subject == "Your invitation"
    assert to_mum.from_email.startswith("Notifications")
    for word in DISCREET:
        assert word not in (to_mum.subject + to_mum.body).lower()
    assert f"http://testserver/join/{referral.invitation_token}/" in to_mum.body

    assert to_referrer.to == [REFERRER_EMAIL]
    assert "We've invited her to join." in to_referrer.body
    assert "Rosalind" not in to_referrer.body and "R.S." in to_referrer.body
    assert "lonely" not in to_referrer.body

    accepted = audit(referral, "referral_accepted").get()
    told = audit(referral, "referrer_told_outcome").get()
    assert accepted.actor == told.actor == coordinator
    assert told.details == {"outcome": "accepted"}


@pytest.mark.parametrize("who", ["no_consent", "self"])
def test_accept_tells_nobody_but_her_without_consent_or_for_a_self_referral(cora, capture, who):
    referral = make_self_referral() if who == "self" else make_referral(consent_share_outcome=False)
    act(cora, referral, "accept", capture=capture)
    assert [m.to for m in mail.outbox] == [[MUM_EMAIL]]
    assert not audit(referral, "referrer_told_outcome").exists()


def test_accepting_twice_sends_one_invitation_and_says_why_the_second_is_refused(cora, capture):
    referral = make_referral(consent_share_outcome=False)
    act(cora, referral, "accept", capture=capture)
    token = Referral.objects.get().invitation_token
    response = act(cora, referral, "accept", capture=capture)
    assert f"Referral {referral.pk} can't be accepted now" in text(response)
    assert len(mail.outbox) == 1
    assert Referral.objects.get().invitation_token == token
    assert audit(referral, "referral_accepted").count() == 1


# --- more information ---------------------------------------------------------------


def test_asking_for_more_information_emails_the_referrer_and_replies_come_to_the_coordinator(
    cora, coordinator, capture
):
    referral = make_referral()
    response = act(
        cora,
        referral,
        "request_info",
        {"note": "Is she under the perinatal team?"},
        capture=capture,
    )
    assert "emailed to the person who referred her" in text(response)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.INFO_REQUESTED
    assert referral.info_request == "Is she under the perinatal team?"
    (email,) = mail.outbox
    assert email.to == [REFERRER_EMAIL] and email.reply_to == [coordinator.email]
    assert "Is she under the perinatal team?" in email.body
    entry = audit(referral, "referral_info_requested").get()
    assert entry.actor == coordinator and entry.reason == "Is she under the perinatal team?"

    # Back in the list to triage, then answered: new again.
    assert referral.pk in ids_in_order(text(cora.get(reverse("staff_referrals"))))
    act(cora, referral, "info_received", {"note": "Yes, since March"}, capture=capture)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.NEW
    entry = audit(referral, "referral_info_received").get()
    assert entry.actor == coordinator and entry.reason == "Yes, since March"


def test_asking_a_self_referral_for_information_emails_her_discreetly(cora, capture):
    referral = make_self_referral()
    act(cora, referral, "request_info", {"note": "When is a good time?"}, capture=capture)
    (email,) = mail.outbox
    assert email.to == [MUM_EMAIL] and email.subject == "A question about your request"
    for word in DISCREET:
        assert word not in (email.subject + email.body).lower()


def test_a_question_to_her_may_not_say_mental_health(cora, capture):
    referral = make_self_referral()
    response = act(
        cora,
        referral,
        "request_info",
        {"note": "Is your mental health team involved?"},
        capture=capture,
    )
    assert response.status_code == 400
    assert "someone else may read her email" in text(response)
    assert Referral.objects.get().status == Referral.Status.NEW and not mail.outbox


def test_asking_needs_a_note_and_changes_nothing_without_one(cora, capture):
    referral = make_referral()
    response = act(cora, referral, "request_info", {"note": "  "}, capture=capture)
    assert response.status_code == 400
    assert "Please say what you need to know." in text(response)
    assert Referral.objects.get().status == Referral.Status.NEW
    assert not mail.outbox and not audit(referral, "referral_info_requested").exists()


# --- decline ---------------------------------------------------------------------------


def test_decline_sends_her_the_signposting_and_the_referrer_the_outcome_with_consent(
    cora, coordinator, capture
):
    referral = make_referral()
    page = text(cora.get(reverse("staff_referral", args=[referral.pk])))
    assert "PANDAS Foundation helpline" in page  # the kind default, ready to send
    signposting = DEFAULT_SIGNPOSTING + "\nThe Bumps group meets at the library on Fridays."
    response = act(
        cora,
        referral,
        "decline",
        {"reason": "Lives outside our area", "signposting": signposting},
        capture=capture,
    )
    assert "Declined." in text(response)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED
    assert referral.decline_reason == "Lives outside our area"
    assert referral.decided_by == coordinator

    to_mum, to_referrer = mail.outbox
    assert to_mum.to == [MUM_EMAIL] and to_mum.subject == "About your request"
    assert "The Bumps group meets at the library" in to_mum.body
    assert "mental health" not in (to_mum.subject + to_mum.body).lower()
    assert "Lives outside our area" not in to_mum.body
    assert to_referrer.to == [REFERRER_EMAIL]
    assert "not able to offer her a place" in to_referrer.body
    assert "The Bumps group meets at the library" in to_referrer.body
    assert "Lives outside our area" not in to_referrer.body

    entry = audit(referral, "referral_declined").get()
    assert entry.actor == coordinator and entry.reason == "Lives outside our area"
    assert audit(referral, "referrer_told_outcome").get().details == {"outcome": "declined"}


def test_decline_without_consent_sends_the_signposting_to_her_only(cora, capture):
    referral = make_referral(consent_share_outcome=False)
    act(
        cora,
        referral,
        "decline",
        {"reason": "Out of area", "signposting": DEFAULT_SIGNPOSTING},
        capture=capture,
    )
    assert [m.to for m in mail.outbox] == [[MUM_EMAIL]]
    assert not audit(referral, "referrer_told_outcome").exists()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"reason": "", "signposting": DEFAULT_SIGNPOSTING}, "Please give the reason"),
        ({"reason": "Full", "signposting": ""}, "where else she can find support"),
        (
            {"reason": "Full", "signposting": "Try a mental health charity"},
            "someone else may read her email",
        ),
    ],
)
def test_decline_needs_a_reason_and_signposting_and_changes_nothing_without(
    cora, capture, data, words
):
    referral = make_referral()
    response = act(cora, referral, "decline", data, capture=capture)
    assert response.status_code == 400 and words in text(response)
    assert Referral.objects.get().status == Referral.Status.NEW
    assert not mail.outbox and not audit(referral, "referral_declined").exists()


# --- invalid steps -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "action", "data"),
    [
        ("declined", "accept", {}),
        ("declined", "waitlist", {}),
        ("accepted", "decline", {"reason": "x", "signposting": "y"}),
        ("accepted", "decline", {}),
        ("accepted", "request_info", {"note": "x"}),
        ("new", "info_received", {"note": "x"}),
        ("waiting", "waitlist", {}),
        ("joined", "accept", {}),
    ],
)
def test_invalid_steps_are_refused_with_a_clear_message_and_change_nothing(
    cora, coordinator, capture, start, action, data
):
    referral = make_referral()
    Referral.objects.filter(pk=referral.pk).update(status=start)
    # Changes only: the page she is sent back to audits that she looked at it.
    changes = AuditEntry.objects.exclude(action="referral_viewed")
    before = changes.count()
    response = act(cora, referral, action, data, capture=capture)
    page = text(response)
    assert f"Referral {referral.pk} can't be" in page and "Nothing was changed." in page
    assert Referral.objects.get().status == start
    assert changes.count() == before and not mail.outbox


def test_unknown_action_is_not_found(cora):
    referral = make_referral()
    assert cora.post(f"/staff/referrals/{referral.pk}/delete/").status_code == 404


# --- who may triage ---------------------------------------------------------------------


PAGES = ["staff_referrals", "staff_referrals_waiting", "staff_referrals_decided"]


@pytest.mark.parametrize("person", ["mum", "volunteer"])
def test_members_and_volunteers_may_not_see_or_act_on_referrals(client, request, person):
    referral = make_referral()
    client.force_login(request.getfixturevalue(person))
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("staff_referral", args=[referral.pk])).status_code == 403
    for action in ("accept", "waitlist", "decline"):
        response = client.post(
            reverse("staff_referral_act", args=[referral.pk, action]),
            {"reason": "x", "signposting": "y"},
        )
        assert response.status_code == 403
    assert Referral.objects.get().status == Referral.Status.NEW and not mail.outbox


def test_anonymous_visitors_are_sent_to_log_in(client):
    referral = make_referral()
    urls = [reverse(name) for name in PAGES] + [reverse("staff_referral", args=[referral.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    response = client.post(reverse("staff_referral_act", args=[referral.pk, "accept"]))
    assert response.status_code == 302 and Referral.objects.get().status == Referral.Status.NEW


def test_coordinator_without_two_factor_is_sent_to_set_it_up(client, coordinator_without_mfa):
    client.force_login(coordinator_without_mfa)
    response = client.get(reverse("staff_referrals"))
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")


def test_services_refuse_anyone_who_may_not_triage(volunteer):
    referral = make_referral()
    with pytest.raises(PermissionDenied):
        services.accept_referral(
            actor=volunteer, referral_id=referral.pk, join_url_for=lambda token: token
        )
    with pytest.raises(PermissionDenied):
        services.put_on_waiting_list(actor=volunteer, referral_id=referral.pk)
    assert Referral.objects.get().status == Referral.Status.NEW


# --- the timeline ------------------------------------------------------------------------


def test_every_step_is_in_the_timeline_with_who_and_when(cora, coordinator, capture):
    referral = make_referral()
    act(cora, referral, "request_info", {"note": "Which GP?"}, capture=capture)
    act(cora, referral, "info_received", {"note": "Park Surgery"}, capture=capture)
    act(cora, referral, "waitlist", capture=capture)
    act(cora, referral, "accept", capture=capture)

    from intake.selectors import referral_timeline

    # (Each page she was sent back to also audited her look at it: not a step.)
    entries = list(referral_timeline(referral))
    assert [e.action for e in entries] == [
        "referral_submitted",
        "referral_info_requested",
        "referral_info_received",
        "referral_waitlisted",
        "referral_accepted",
        "referrer_told_outcome",
    ]
    assert entries[0].actor is None
    assert all(e.actor == coordinator for e in entries[1:])
    assert all(e.created_at is not None for e in entries)

    page = text(cora.get(reverse("staff_referral", args=[referral.pk])))
    timeline = page.split('data-testid="timeline"', 1)[1]
    labels = [
        "Referral received",
        "More information asked for",
        "More information received",
        "Put on the waiting list",
        "Referral accepted: invitation sent",
        "Referrer told the outcome",
    ]
    positions = [timeline.index(label) for label in labels]
    assert positions == sorted(positions)
    assert "the public form" in timeline and timeline.count("Cora") == 5
    when = timezone.localtime(entries[-1].created_at).strftime("%-d %b %Y, %H:%M")
    assert when in timeline
