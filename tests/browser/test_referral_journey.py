"""A health visitor refers a mum on her phone; Cora accepts; the mum joins from her email."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from accounts.models import User
from intake.models import Referral
from intake.screen import SCREEN_QUESTIONS
from tests.browser.pages import fill_private_details, fits_the_phone

MUM_EMAIL = "rosa.referred@example.net"
BIRTH = date.today() - timedelta(days=150)
PASSWORD = "a long and unusual passphrase"


def refer(page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Refer a mum").click()
    expect(page.get_by_role("heading", name="Refer a mum to Village")).to_be_visible()
    fits_the_phone(page)

    page.get_by_label("Who is filling in this form?").select_option("health_visitor")
    page.get_by_label("Your name").fill("Hannah Visitor")
    page.get_by_label("Your organisation or team").fill("Leeds Health Visiting Team")
    page.get_by_label("Your work email").fill("hannah.visitor@nhs.example")
    page.get_by_label("Her name").fill("Rosalind Smith")
    page.get_by_label("Her email address").fill(MUM_EMAIL)
    page.get_by_label("Her baby is born").check()
    page.get_by_label("Baby's date of birth").fill(BIRTH.isoformat())
    page.get_by_label("1:1 befriending").check()
    page.get_by_label("Birth trauma").check()
    page.get_by_label("In a few words").fill("Low since the birth; the nights are lonely.")
    for _field, question in SCREEN_QUESTIONS:
        page.get_by_role("group", name=question).get_by_label("No", exact=True).check()
    page.get_by_label("She agrees that we may contact her").check()
    page.get_by_label("She agrees that we may keep").check()
    page.get_by_label("She agrees that we may tell").check()
    page.get_by_label("The mum, who told the person referring her").check()
    # The honeypot is out of sight.
    expect(page.get_by_label("Leave this empty")).not_to_be_in_viewport()
    fits_the_phone(page)
    page.get_by_role("button", name="Send the referral").click()

    expect(
        page.get_by_role("heading", name="Thank you: we've received the referral")
    ).to_be_visible()
    fits_the_phone(page)


def accept(page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Referrals", exact=True).click()
    expect(page.get_by_role("heading", name="Referrals", level=1)).to_be_visible()
    fits_the_phone(page)
    page.get_by_role("link", name=re.compile(r"Referral \d+: Rosalind Smith")).click()
    expect(page.get_by_text("Safety screen")).to_be_visible()
    fits_the_phone(page)
    page.get_by_role("button", name="Accept and invite her").click()
    expect(page.get_by_text("Her invitation to join is on its way")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("Accepted: invitation sent")
    fits_the_phone(page)


def sign_up_from_link(page, link) -> None:
    page.goto(link)
    expect(page.get_by_role("heading", name="Join Village")).to_be_visible()
    # What the referral knew is filled in already, starting with the first step.
    expect(page.get_by_label("I have a baby or toddler")).to_be_checked()
    expect(page.get_by_label("Your baby's date of birth")).to_have_value(BIRTH.isoformat())
    expect(page.get_by_label("How did you hear about us?")).to_have_value("health_visitor")
    fits_the_phone(page)
    page.get_by_role("button", name="Next: your account").click()

    # Her account is for the address her invitation went to, and no other.
    expect(page.get_by_label("Email")).to_have_value(MUM_EMAIL)
    expect(page.get_by_label("Email")).to_be_disabled()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("Display name").fill("Rosie")
    fits_the_phone(page)
    page.get_by_role("button", name="Create my account").click()

    # Straight on: the link proved the address is hers, so no verification step.
    expect(page.get_by_role("heading", name="Keeping you safe")).to_be_visible()
    fill_private_details(page)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", name="Hello, Rosie")).to_be_visible()
    fits_the_phone(page)


def test_health_visitor_refers_cora_accepts_and_the_mum_joins_from_her_email(
    open_browser, log_in_as, village_server, coordinator
):
    hannah, cora, rosie = open_browser(), open_browser(), open_browser()
    hannah(refer)
    referral = Referral.objects.get()
    assert referral.referrer_role == "health_visitor" and referral.status == "new"

    log_in_as(cora, coordinator)
    cora(accept)

    (invitation,) = village_server.emails(to=MUM_EMAIL)
    assert "Subject: Your invitation" in invitation
    link = re.search(r"http://127\.0\.0\.1:\d+/join/\S+/", invitation).group(0)
    rosie(lambda page: sign_up_from_link(page, link))

    member = User.objects.get(email=MUM_EMAIL)
    assert member.member_profile.referral_source == "health_visitor"
    assert member.member_profile.baby_birth_date == BIRTH
    referral.refresh_from_db()
    assert referral.status == "joined" and referral.member == member


def refer_herself_saying_she_is_not_safe(page) -> None:
    page.goto("/refer/")
    page.get_by_label("Who is filling in this form?").select_option("self")
    page.get_by_label("Her name").fill("Sam Jones")
    page.get_by_label("Her email address").fill("sam@example.net")
    page.get_by_label("Pregnant").check()
    page.get_by_label("Due date").fill((date.today() + timedelta(days=70)).isoformat())
    page.get_by_label("Either").check()
    page.get_by_label("In a few words").fill("Scared at home.")
    for field, question in SCREEN_QUESTIONS:
        answer = "Yes" if field == "screen_unsafe_at_home" else "No"
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()
    page.get_by_label("She agrees that we may contact her").check()
    page.get_by_label("She agrees that we may keep").check()
    page.get_by_label("The mum herself, filling in this form").check()
    page.get_by_role("button", name="Send the referral").click()

    advice = page.get_by_test_id("urgent-advice")
    expect(advice).to_be_visible()
    expect(advice).to_contain_text("NHS 111 and choose option 2")
    expect(advice).to_contain_text("0808 2000 247")
    expect(page.get_by_text("We've let the team know.")).to_be_visible()
    fits_the_phone(page)


def see_it_first_and_keep_every_page_on_the_phone(page) -> None:
    page.goto("/staff/queue/")
    page.get_by_role("link", name=re.compile("Open the referral")).click()
    expect(page.get_by_text("nobody has said “I'm on it” yet")).to_be_visible()
    page.get_by_text("Decline, with other support for her").click()
    expect(page.get_by_label("Message to her")).to_contain_text("PANDAS Foundation")
    fits_the_phone(page)
    page.get_by_role("button", name="Put on the waiting list").click()
    expect(page.get_by_text("She is on the waiting list.")).to_be_visible()
    page.get_by_role("link", name="← Referrals").click()  # back to her list: the waiting list
    expect(page.get_by_test_id("days-waiting")).to_have_text("Waiting 0 days")
    fits_the_phone(page)
    page.get_by_role("link", name=re.compile(r"Decided \(0\)")).click()
    expect(page.get_by_text("No decided referrals yet.")).to_be_visible()
    fits_the_phone(page)


def test_a_mum_not_safe_at_home_is_told_what_to_do_now_and_cora_sees_it_first(
    open_browser, log_in_as, coordinator
):
    sam, cora = open_browser(), open_browser()
    sam(refer_herself_saying_she_is_not_safe)
    referral = Referral.objects.get()
    assert referral.is_self_referral and referral.screened_positive
    assert referral.flags.get().category == "abuse_dv"

    log_in_as(cora, coordinator)
    cora(see_it_first_and_keep_every_page_on_the_phone)
    referral.refresh_from_db()
    assert referral.status == "waiting"
