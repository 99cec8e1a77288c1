"""The public referral form: who may refer, eligibility, the safety screen, spam, consent."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from django.urls import reverse

from accounts.models import ReferralSource
from audit.models import AuditEntry
from intake.models import Referral
from intake.screen import SCREEN_CATEGORIES, SCREEN_QUESTIONS
from moderation.models import Flag
from tests.intake.referrals import MUM_NAME, REASON, SELF_REFERRAL, referral_data

pytestmark = pytest.mark.django_db

REFER = "/refer/"


def nothing_stored() -> bool:
    return (
        not Referral.objects.exists()
        and not Flag.objects.exists()
        and not AuditEntry.objects.filter(action__startswith="referral").exists()
    )


def text(response) -> str:
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.content.decode())


def years_ago(years: int) -> str:
    today = date.today()
    return today.replace(year=today.year - years, day=min(today.day, 28)).isoformat()


def test_form_opens_for_anyone_without_an_account(client):
    response = client.get(REFER)
    assert response.status_code == 200
    page = text(response)
    for _field, question in SCREEN_QUESTIONS:
        assert question in page
    # The honeypot is hidden from people, screen readers and the keyboard.
    assert 'aria-hidden="true"' in page and 'tabindex="-1"' in page
    assert 'autocomplete="off"' in page


def test_landing_page_offers_professionals_the_referral_form(client):
    page = text(client.get("/"))
    assert "Are you a health visitor, midwife or other professional?" in page
    assert f'href="{reverse("refer")}"' in page


def test_eligible_referral_is_stored_as_routine_and_the_referrer_is_thanked(client):
    response = client.post(REFER, referral_data())
    assert response.status_code == 302 and response.url == reverse("refer_thanks")
    referral = Referral.objects.get()
    assert (referral.referrer_role, referral.referrer_name) == ("health_visitor", "Hannah Visitor")
    assert referral.referrer_email == "hannah.visitor@nhs.example"
    assert (referral.mum_name, referral.mum_email, referral.mum_phone) == (
        MUM_NAME,
        "rosie@example.net",
        "07700 900123",
    )
    assert referral.stage == "baby" and referral.due_date is None
    assert referral.baby_birth_date == date.today() - timedelta(days=120)
    assert (referral.language, referral.interpreter_needed) == ("pl", True)
    assert referral.support_wanted == "one_to_one"
    assert referral.experience_wanted == ["birth_trauma", "nicu"]
    assert referral.reason == REASON
    assert referral.eligible and referral.status == Referral.Status.NEW
    assert referral.urgency == Referral.Urgency.ROUTINE
    assert not Flag.objects.exists()

    page = text(client.get(response.url))
    assert "we've received the referral" in page.lower()
    assert "What happens next" in page


def test_submission_is_audited_without_anything_personal(client):
    client.post(REFER, referral_data())
    referral = Referral.objects.get()
    entry = AuditEntry.objects.get(action="referral_submitted")
    assert entry.actor is None and entry.created_at is not None
    assert (entry.target_type, entry.target_id) == ("intake.referral", str(referral.pk))
    recorded = f"{entry.details} {entry.target_label} {entry.reason}"
    for personal in (MUM_NAME, "Rosalind", "rosie@example.net", "07700", "Hannah", "lonely"):
        assert personal not in recorded


@pytest.mark.parametrize("role", ReferralSource.values)
def test_each_referrer_role_is_stored_with_its_role(client, role):
    changes = SELF_REFERRAL if role == "self" else {"referrer_role": role}
    response = client.post(REFER, referral_data(**changes))
    assert response.status_code == 302, text(response)
    assert Referral.objects.get().referrer_role == role


def test_pregnant_mum_is_stored_with_her_due_date_only(client):
    due = date.today() + timedelta(days=100)
    client.post(
        REFER,
        referral_data(
            stage="pregnant",
            due_date=due.isoformat(),
            baby_birth_date=(date.today() - timedelta(days=900)).isoformat(),
        ),
    )
    referral = Referral.objects.get()
    assert (referral.stage, referral.due_date, referral.baby_birth_date) == ("pregnant", due, None)


def test_self_referral_needs_no_referrer_details_and_keeps_none(client):
    client.post(
        REFER,
        referral_data(
            **{**SELF_REFERRAL, "referrer_name": "Someone", "consent_share_outcome": "on"}
        ),
    )
    referral = Referral.objects.get()
    assert referral.is_self_referral
    assert referral.referrer_name == "" and referral.referrer_email == ""
    assert referral.consent_share_outcome is False
    assert referral.consent_given_by == "mum"
    page = text(client.get(reverse("refer_thanks")))
    assert "Thank you for getting in touch" in page


def test_ineligible_mum_is_told_kindly_where_else_to_go_and_nothing_is_stored(client):
    response = client.post(REFER, referral_data(baby_birth_date=years_ago(3)))
    assert response.status_code == 200
    page = text(response)
    assert 'data-testid="not-eligible"' in page
    assert "under two" in page
    for signpost in ("health visitor or GP", "Home-Start", "PANDAS Foundation", "Mind", "116 123"):
        assert signpost in page
    assert "haven't kept anything" in page
    assert nothing_stored()


@pytest.mark.parametrize(("field", "question"), SCREEN_QUESTIONS)
def test_a_yes_on_the_safety_screen_shows_what_to_do_now_and_puts_a_red_flag_on_the_queue(
    client, coordinator, field, question
):
    response = client.post(REFER, referral_data(**{field: "yes"}))
    assert response.status_code == 302 and response.url == reverse("refer_urgent")
    page = text(client.get(response.url))
    assert 'data-testid="urgent-advice"' in page
    assert "999" in page and "NHS 111 and choose option 2" in page
    assert "crisis team" in page
    assert "Samaritans on 116 123" in page  # the crisis card
    assert "We've let the team know." in page

    referral = Referral.objects.get()
    assert referral.urgency == Referral.Urgency.RED and getattr(referral, field) is True
    flag = Flag.objects.get()
    assert (flag.source, flag.level, flag.referral) == ("referral", "RED", referral)
    assert flag.category == SCREEN_CATEGORIES[field]
    assert flag.subject is None and flag.resolved_at is None
    assert question in flag.detail
    for personal in (MUM_NAME, "rosie@", "lonely", "Hannah"):
        assert personal not in flag.detail

    client.force_login(coordinator)
    queue = text(client.get("/staff/queue/"))
    assert f'data-flag-id="{flag.pk}"' in queue
    assert reverse("staff_referral", args=[referral.pk]) in queue


def test_the_first_yes_names_the_flag_and_the_detail_names_every_yes(client):
    client.post(REFER, referral_data(screen_psychosis="yes", screen_unsafe_at_home="yes"))
    flag = Flag.objects.get()
    assert flag.category == "psychosis"
    questions = dict(SCREEN_QUESTIONS)
    assert questions["screen_psychosis"] in flag.detail
    assert questions["screen_unsafe_at_home"] in flag.detail
    assert questions["screen_suicide_plan"] not in flag.detail


@pytest.mark.django_db(transaction=True)
def test_a_yes_on_the_screen_emails_every_coordinator_discreetly(client, coordinator, mailoutbox):
    import notify

    client.post(REFER, referral_data(screen_baby_harm="yes"))
    notify.drain()
    assert [m.to for m in mailoutbox] == [[coordinator.email]]
    assert MUM_NAME not in mailoutbox[0].body and "baby" not in mailoutbox[0].subject


def test_a_yes_for_a_mum_not_eligible_is_still_kept_and_urgent(client):
    response = client.post(
        REFER, referral_data(baby_birth_date=years_ago(3), screen_suicide_plan="yes")
    )
    assert response.url == reverse("refer_urgent")
    referral = Referral.objects.get()
    assert referral.eligible is False and referral.urgency == Referral.Urgency.RED
    assert Flag.objects.get().category == "self_harm"


def test_self_referral_with_a_yes_speaks_to_her(client):
    client.post(REFER, referral_data(**SELF_REFERRAL, screen_unsafe_at_home="yes"))
    page = text(client.get(reverse("refer_urgent")))
    assert "If you or your baby are in danger now" in page
    assert "0808 2000 247" in page


def test_urgent_and_thank_you_pages_need_a_referral_first(client):
    assert client.get(reverse("refer_urgent")).url == reverse("refer")
    assert client.get(reverse("refer_thanks")).url == reverse("refer")


def test_referrals_over_the_hourly_limit_from_one_address_are_refused_and_not_kept(
    client, settings
):
    settings.VILLAGE_REFERRALS_PER_ADDRESS_PER_HOUR = 3
    for _ in range(3):
        response = client.post(REFER, referral_data(), REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 302
    refused = client.post(
        REFER, referral_data(screen_suicide_plan="yes"), REMOTE_ADDR="203.0.113.7"
    )
    assert refused.status_code == 429
    page = text(refused)
    assert "try again in an hour" in page and "phone" in page
    assert "999" in page  # what to do now, should she not be safe
    assert Referral.objects.count() == 3 and not Flag.objects.exists()

    other = client.post(REFER, referral_data(), REMOTE_ADDR="198.51.100.20")
    assert other.status_code == 302
    assert Referral.objects.count() == 4


def test_filled_honeypot_looks_like_success_and_stores_nothing(client):
    response = client.post(REFER, referral_data(website="http://cheap-pills.example"))
    assert response.status_code == 302 and response.url == reverse("refer_thanks")
    page = text(client.get(response.url))
    assert "we've received the referral" in page.lower()
    assert nothing_stored()


def test_consent_is_recorded_with_who_gave_it(client):
    client.post(REFER, referral_data(consent_given_by="mum", consent_share_outcome=None))
    referral = Referral.objects.get()
    assert referral.consent_contact and referral.consent_data
    assert referral.consent_share_outcome is False
    assert referral.consent_given_by == "mum"


@pytest.mark.parametrize(
    ("missing", "words"),
    [
        ("consent_contact", "agrees to be contacted"),
        ("consent_data", "agrees that we keep her details"),
        ("consent_given_by", "who gave this consent"),
    ],
)
def test_missing_consent_is_a_form_error_and_stores_nothing(client, missing, words):
    response = client.post(REFER, referral_data(**{missing: None}))
    assert response.status_code == 400
    assert words in text(response)
    assert nothing_stored()


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"baby_birth_date": (date.today() + timedelta(days=3)).isoformat()}, "in the future"),
        (
            {"stage": "pregnant", "due_date": (date.today() + timedelta(weeks=45)).isoformat()},
            "more than 44 weeks away",
        ),
        ({"stage": "pregnant", "due_date": ""}, "Please tell us her due date."),
        ({"baby_birth_date": ""}, "Please tell us her baby's date of birth."),
        (
            {"stage": "pregnant", "due_date": (date.today() - timedelta(days=60)).isoformat()},
            "more than six weeks ago",
        ),
        ({"baby_birth_date": "31/02/2025"}, "Enter a valid date."),
        ({"stage": None}, "whether she is pregnant or her baby is born"),
        ({"mum_email": "not an email"}, "Enter a valid email address."),
        ({"mum_email": ""}, "This field is required."),
        ({"mum_phone": "call me"}, "Please enter a phone number"),
        ({"referrer_email": ""}, "Please give your work email"),
        ({"referrer_name": ""}, "Please tell us your name."),
        ({"referrer_role": ""}, "Please tell us who is referring her."),
        ({"referrer_role": "dentist"}, "Select a valid choice."),
        ({"screen_psychosis": None}, "Please answer yes or no."),
        ({"screen_baby_harm": "maybe"}, "Select a valid choice."),
        ({"support_wanted": None}, "Please choose a group, 1:1 befriending, or either."),
        ({"reason": ""}, "why she'd like support"),
        ({"reason": "x" * 1001}, "at most 1000 characters"),
        ({**SELF_REFERRAL, "consent_given_by": "mum_to_referrer"}, "referring yourself"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(client, changes, words):
    response = client.post(REFER, referral_data(**changes))
    assert response.status_code == 400
    page = text(response)
    assert words in page
    assert "Please check the answers marked below." in page
    assert nothing_stored()


# --- sending the form twice ---------------------------------------------------------------


def issued_token(client) -> str:
    import re

    page = client.get(REFER).content.decode()
    (token,) = re.findall(r'<input type="hidden" name="submission_token" value="([^"]+)"', page)
    return token


def test_sending_the_form_twice_stores_one_referral_and_shows_the_same_thanks(client):
    """A double click on "Send the referral" (no JavaScript needed): the second POST
    with the same one-time token shows the same page and stores nothing more."""
    data = referral_data(submission_token=issued_token(client))
    first = client.post(REFER, data)
    second = client.post(REFER, data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("refer_thanks")
    assert "we've received the referral" in text(client.get(second.url)).lower()
    assert Referral.objects.count() == 1
    assert AuditEntry.objects.filter(action="referral_submitted").count() == 1


def test_an_urgent_referral_sent_twice_raises_one_flag_and_shows_what_to_do_now(client):
    data = referral_data(submission_token=issued_token(client), screen_psychosis="yes")
    first, second = client.post(REFER, data), client.post(REFER, data)
    assert first.url == second.url == reverse("refer_urgent")
    assert Referral.objects.count() == 1 and Flag.objects.count() == 1


def test_each_form_issues_its_own_token_so_two_referrals_are_two(client):
    first_token, second_token = issued_token(client), issued_token(client)
    assert first_token != second_token
    client.post(REFER, referral_data(submission_token=first_token))
    client.post(REFER, referral_data(submission_token=second_token, mum_email="sam@example.net"))
    assert Referral.objects.count() == 2


def test_the_form_shown_again_after_a_mistake_keeps_its_token(client):
    token = issued_token(client)
    response = client.post(REFER, referral_data(submission_token=token, mum_name=""))
    assert response.status_code == 400
    assert f'name="submission_token" value="{token}"' in response.content.decode()
    assert nothing_stored()


def test_the_same_token_at_once_from_two_requests_stores_one_referral(client):
    """The service itself is idempotent per token, for two POSTs that both pass the
    view's check before either is stored."""
    from dataclasses import replace

    from intake import services
    from tests.intake.referrals import BASE_DETAILS

    details = replace(BASE_DETAILS, submission_token="t" * 32)
    first = services.submit_referral(details=details, eligible=True)
    again = services.submit_referral(details=details, eligible=True)
    assert again.pk == first.pk and Referral.objects.count() == 1
