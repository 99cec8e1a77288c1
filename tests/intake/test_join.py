"""Her sign-up link: from an accepted referral to a member of Village, logged in."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from unittest.mock import patch

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import MemberProfile, Role, User
from accounts.views import SIGNUP_PREFILL_SESSION_KEY
from audit.models import AuditEntry
from intake import services
from intake.models import Referral
from intake.signals import REFERRAL_SESSION_KEY
from tests.intake.referrals import MUM_EMAIL, make_referral

pytestmark = pytest.mark.django_db

BIRTH = date.today() - timedelta(days=120)


def text(response) -> str:
    return html.unescape(response.content.decode())


def signup_data(**changes) -> dict:
    """What she types into the account step (the address is her referral's)."""
    data = {
        "display_name": "Rosie",
        "email": MUM_EMAIL,
        "password1": "a long and unusual passphrase",
        "password2": "a long and unusual passphrase",
    }
    data.update(changes)
    return data


def eligibility_data(**changes) -> dict:
    data = {
        "stage": "baby",
        "baby_birth_date": BIRTH.isoformat(),
        "due_date": "",
        "referral_source": "health_visitor",
    }
    data.update(changes)
    return data


def join(client, link, *, eligibility=None, **account):
    """Her link, then the first two steps of signing up."""
    client.get(link)
    client.post(reverse("account_signup"), eligibility or eligibility_data())
    return client.post(reverse("member_signup_account"), signup_data(**account))


@pytest.fixture
def accepted(coordinator, client, django_capture_on_commit_callbacks):
    """A health visitor's referral, accepted by Cora through the page: the email's link."""
    referral = make_referral(
        baby_birth_date=BIRTH, experience_wanted=["birth_trauma", "nicu"], language="pl"
    )
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("staff_referral_act", args=[referral.pk, "accept"]))
    client.logout()
    (invitation,) = [m for m in mail.outbox if m.to == [MUM_EMAIL]]
    link = re.search(r"http://testserver(/join/\S+/)", invitation.body).group(1)
    referral.refresh_from_db()
    return referral, link


def test_accepted_mum_signs_up_from_her_link_is_logged_in_and_her_referral_is_recorded(
    client, accepted
):
    referral, link = accepted
    response = client.get(link)
    assert response.status_code == 302 and response.url == reverse("account_signup")

    # The first step is filled in from the referral.
    form = client.get(response.url).context["form"]
    assert form.initial["stage"] == "baby"
    assert form.initial["baby_birth_date"] == BIRTH.isoformat()
    assert form.initial["referral_source"] == "health_visitor"

    # She may pick another answer to "how did you hear": the referral knows better.
    response = client.post(reverse("account_signup"), eligibility_data(referral_source="self"))
    assert response.url == reverse("member_signup_account")
    form = client.get(response.url).context["form"]
    assert form.initial["email"] == MUM_EMAIL
    response = client.post(reverse("member_signup_account"), signup_data())
    assert response.status_code == 302 and response.url == reverse("home")

    user = User.objects.get(email=MUM_EMAIL)
    assert user.role == Role.MEMBER
    # Logged in at once: the link proved the address is hers.
    assert client.session["_auth_user_id"] == str(user.pk)
    assert EmailAddress.objects.get(user=user).verified
    # Her private details come next, then her rooms.
    response = client.get(reverse("home"))
    assert response.url.startswith(reverse("member_private_details"))
    client.post(
        reverse("member_private_details"),
        {
            "real_name": "Rosalind Smith",
            "phone": "07700 900123",
            "postcode": "LS1 4AP",
            "gp_practice": "Park Surgery",
            "emergency_contact_name": "Tom Smith",
            "emergency_contact_phone": "07700 900456",
            "health_consent": "on",
        },
    )
    assert "Hello, Rosie" in text(client.get(reverse("home")))

    profile = MemberProfile.objects.get(user=user)
    assert profile.referral_source == "health_visitor"
    assert (profile.stage, profile.baby_birth_date) == ("baby", BIRTH)
    assert (profile.language, profile.interpreter_needed) == ("pl", True)
    assert profile.support_wanted == "one_to_one"
    assert profile.experience_wanted == ["birth_trauma", "nicu"]

    referral.refresh_from_db()
    assert referral.status == Referral.Status.JOINED and referral.member == user
    entry = AuditEntry.objects.get(action="referral_joined", target_id=str(referral.pk))
    assert entry.actor == user and entry.created_at is not None
    assert REFERRAL_SESSION_KEY not in client.session


def test_pregnant_mum_is_prefilled_with_her_due_date(client, coordinator):
    due = date.today() + timedelta(days=60)
    referral = make_referral(stage="pregnant", due_date=due, baby_birth_date=None)
    services.accept_referral(
        actor=coordinator, referral_id=referral.pk, join_url_for=lambda token: token
    )
    referral.refresh_from_db()
    client.get(reverse("join_from_referral", args=[referral.invitation_token]))
    assert client.session[SIGNUP_PREFILL_SESSION_KEY] == {
        "email": MUM_EMAIL,
        "stage": "pregnant",
        "due_date": due.isoformat(),
        "baby_birth_date": "",
        "referral_source": "health_visitor",
    }


def test_a_used_link_cannot_be_used_again(client, accepted):
    referral, link = accepted
    join(client, link)
    client.logout()
    response = client.get(link)
    assert response.status_code == 404
    assert "This link can't be used" in text(response)


def test_expired_link_gets_a_friendly_page_telling_her_to_get_in_touch(client, accepted):
    referral, link = accepted
    Referral.objects.filter(pk=referral.pk).update(
        invitation_expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.get(link)
    assert response.status_code == 404
    page = text(response)
    assert "This link can't be used" in page and "get in touch" in page
    assert reverse("refer") in page
    assert REFERRAL_SESSION_KEY not in client.session


def test_unknown_link_gets_the_friendly_page(client):
    response = client.get(reverse("join_from_referral", args=["not-a-real-token"]))
    assert response.status_code == 404 and "This link can't be used" in text(response)


def test_someone_logged_in_is_asked_to_log_out_first(client, accepted, mum):
    referral, link = accepted
    client.force_login(mum)
    response = client.get(link)
    assert response.status_code == 200
    assert "You're already logged in" in text(response)
    assert REFERRAL_SESSION_KEY not in client.session


def test_her_link_makes_an_account_for_her_address_only(client, accepted):
    referral, link = accepted
    join(client, link, email="other@example.net")
    # The address on the form is fixed: another typed in is ignored.
    assert not EmailAddress.objects.filter(email="other@example.net").exists()
    user = EmailAddress.objects.get(email=MUM_EMAIL, verified=True).user
    referral.refresh_from_db()
    assert referral.member == user
    assert SIGNUP_PREFILL_SESSION_KEY not in client.session


def test_sign_up_without_a_waiting_referral_changes_no_referral(coordinator, mum):
    referral = make_referral()
    assert services.record_signup(referral_id=referral.pk, user=mum) is None
    referral.refresh_from_db()
    assert referral.status == Referral.Status.NEW and referral.member is None
    assert mum.member_profile.referral_source == "midwife"


# --- issue 14: the link hands her referral only to her ------------------------------


def test_her_download_never_holds_what_the_referral_says_about_her(client, accepted):
    """Someone who signs up from her link (he reads her email) downloads "my data":
    her name, phone, the referrer's reason and the safety screen must not be in it."""
    from village.data_rights import export_data

    referral, link = accepted
    Referral.objects.filter(pk=referral.pk).update(
        screen_unsafe_at_home=True, mum_phone="07700 900321"
    )
    referral.refresh_from_db()
    join(client, link)
    user = User.objects.get(email=MUM_EMAIL)
    copy = str(export_data(user=user))
    for private in (referral.mum_name, referral.mum_phone, referral.reason):
        assert private and private not in copy
    assert "unsafe" not in copy.lower() and "screen" not in copy.lower()
    assert referral.referrer_organisation not in copy


def test_a_referral_is_attached_only_to_a_verified_account_for_its_address(coordinator):
    referral = make_referral()
    services.accept_referral(
        actor=coordinator, referral_id=referral.pk, join_url_for=lambda token: token
    )
    other = User.objects.create_user(email="him@example.net", password="x", display_name="Him")
    EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    unproven = User.objects.create_user(email=MUM_EMAIL, password="x", display_name="Not yet")
    EmailAddress.objects.create(user=unproven, email=MUM_EMAIL, verified=False, primary=True)

    assert services.record_signup(referral_id=referral.pk, user=other) is None
    assert services.record_signup(referral_id=referral.pk, user=unproven) is None
    referral.refresh_from_db()
    assert referral.member is None and referral.status == Referral.Status.ACCEPTED
    notice = AuditEntry.objects.get(action="referral_link_notice", target_id=str(referral.pk))
    assert notice.details == {"what": "other_address"} and "another email" in notice.reason


def test_a_used_link_opened_again_tells_the_coordinators_discreetly(
    client, accepted, mailoutbox, django_capture_on_commit_callbacks
):
    referral, link = accepted
    join(client, link)
    client.logout()
    mailoutbox.clear()
    # The email goes on a thread of its own; here, on the test's (it sees the test's data).
    with (
        patch("notify.background.in_background", lambda fn, **kwargs: fn(**kwargs)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.get(link)
        client.get(link)  # once an hour is enough
    assert response.status_code == 404 and "This link can't be used" in text(response)
    notices = AuditEntry.objects.filter(action="referral_link_notice", target_id=str(referral.pk))
    assert [n.details for n in notices] == [{"what": "used_again"}]
    assert [m.to for m in mailoutbox] == [["cora@example.net"]]
    assert mailoutbox[0].subject == "Village: please check a referral"
    assert "Rosalind" not in mailoutbox[0].body and MUM_EMAIL not in mailoutbox[0].body


@pytest.fixture
def with_codes(settings):
    settings.VILLAGE_REFERRAL_JOIN_CODES = True
    settings.VILLAGE_REFERRAL_JOIN_CODE_ATTEMPTS = 3
    return settings


def test_with_codes_on_the_link_asks_for_her_code_before_anything_else(
    client, coordinator, with_codes
):
    from intake.selectors import join_code_for

    referral = make_referral()
    client.force_login(coordinator)
    response = client.post(reverse("staff_referral_act", args=[referral.pk, "accept"]), follow=True)
    referral.refresh_from_db()
    code = join_code_for(referral)
    page = text(response)
    assert f"Her code is {code[:3]} {code[3:]}" in page and "by phone" in page
    assert f"{code[:3]} {code[3:]}" in text(
        client.get(reverse("staff_referral", args=[referral.pk]))
    )
    client.logout()

    link = reverse("join_from_referral", args=[referral.invitation_token])
    response = client.get(link)
    assert response.status_code == 200 and "type the code you were given" in text(response)
    assert client.get(reverse("account_signup")).context["form"].initial == {}
    response = client.post(link, {"code": "12"})
    assert response.status_code == 400 and "six numbers" in text(response)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(link, {"code": wrong})
    assert response.status_code == 400 and "you have 2 more tries" in text(response)

    response = client.post(link, {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302 and response.url == link
    response = client.get(link)
    assert response.url == reverse("account_signup")
    assert client.session[REFERRAL_SESSION_KEY] == referral.pk


def test_too_many_wrong_codes_lock_the_link_and_tell_the_coordinators(
    client, coordinator, with_codes
):
    from intake.selectors import join_code_for

    referral = make_referral()
    services.accept_referral(
        actor=coordinator, referral_id=referral.pk, join_url_for=lambda token: token
    )
    referral.refresh_from_db()
    link = reverse("join_from_referral", args=[referral.invitation_token])
    wrong = "000000" if join_code_for(referral) != "000000" else "111111"
    client.post(link, {"code": wrong})
    client.post(link, {"code": wrong})
    response = client.post(link, {"code": wrong})
    assert response.status_code == 403 and "This link is locked" in text(response)
    # Even the right code no longer opens it.
    assert client.post(link, {"code": join_code_for(referral)}).status_code == 404
    referral.refresh_from_db()
    assert not referral.invitation_is_usable
    notice = AuditEntry.objects.get(action="referral_link_notice", target_id=str(referral.pk))
    assert notice.details == {"what": "code_locked"}
    # The coordinator can send her a new link.
    services.accept_referral(
        actor=coordinator, referral_id=referral.pk, join_url_for=lambda token: token
    )
    referral.refresh_from_db()
    assert referral.invitation_is_usable


def test_without_codes_the_link_asks_for_none(client, accepted):
    referral, link = accepted
    assert client.get(link).url == reverse("account_signup")
