"""A mum signs up on a 360 px phone, step by step, and can leave at once.

The steps (accounts.signup): is Village for her, her account, the emailed
link, then her private details. The link logs her in only in the browser
she signed up in; opened elsewhere it asks for her password.
"""

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.pages import fill_private_details, fits_the_phone

PASSWORD = "a long and unusual passphrase"
EXIT_URL = "https://www.bbc.co.uk/weather"


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the screenshots of each step go (VILLAGE_SCREENSHOTS to keep them)."""
    folder = Path(os.environ.get("VILLAGE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_up(page, shots: Path):
    # The quick-exit destination is outside this machine's network: answer it locally.
    page.route(
        EXIT_URL + "*",
        lambda route: route.fulfill(body="<h1>Weather</h1>", content_type="text/html"),
    )
    page.goto("/")
    page.get_by_role("link", name="Join Village").click()

    # Step 1: is Village for her? Nothing else is asked before it.
    expect(page.get_by_test_id("signup-step")).to_have_text("Step 1 of 4: about you")
    expect(page.get_by_label("Email")).to_have_count(0)
    page.get_by_label("I have a baby or toddler").check()
    page.get_by_label("Your baby's date of birth").fill(
        (date.today() - timedelta(days=200)).isoformat()
    )
    page.get_by_label("How did you hear about us?").select_option("health_visitor")
    fits_the_phone(page)
    page.screenshot(path=shots / "signup-1-about-you-360.png", full_page=True)
    page.get_by_role("button", name="Next: your account").click()

    # Step 2: her account; no private details yet.
    expect(page.get_by_test_id("signup-step")).to_have_text("Step 2 of 4: your account")
    expect(page.get_by_label("Your full name")).to_have_count(0)
    page.get_by_label("Email").fill("rosie@example.net")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("Display name").fill("Rosie")
    fits_the_phone(page)
    page.screenshot(path=shots / "signup-2-account-360.png", full_page=True)
    page.get_by_role("button", name="Create my account").click()

    # Step 3: the email.
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    fits_the_phone(page)
    page.screenshot(path=shots / "signup-3-check-email-360.png", full_page=True)


def open_the_link_elsewhere(page, link, shots: Path):
    """Another browser: the link asks for her password before it confirms anything."""
    page.goto(link)
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    expect(page.get_by_label("Your password")).to_be_visible()
    fits_the_phone(page)
    page.screenshot(path=shots / "signup-3b-link-elsewhere-360.png", full_page=True)
    page.get_by_label("Your password").fill("not my password")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("That password isn't right.")).to_be_visible()
    fits_the_phone(page)
    page.screenshot(path=shots / "signup-3c-wrong-password-360.png", full_page=True)


def confirm_give_details_and_quick_exit(page, link, shots: Path):
    # In the browser she signed up in, the link logs her in.
    page.goto(link)
    expect(page.get_by_label("Your password")).to_have_count(0)
    fits_the_phone(page)
    page.screenshot(path=shots / "signup-3d-confirm-360.png", full_page=True)
    page.get_by_role("button", name="Confirm").click()

    # Step 4: her private details and consent, now that her address is proven.
    expect(page.get_by_test_id("signup-step")).to_have_text("Step 4 of 4: keeping you safe")
    fill_private_details(page)
    fits_the_phone(page)
    page.screenshot(path=shots / "signup-4-keeping-you-safe-360.png", full_page=True)
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", name="Hello, Rosie")).to_be_visible()
    expect(page.get_by_text("Thank you. Welcome to Village.")).to_be_visible()
    assert "rosie@example.net" not in page.content()
    page.screenshot(path=shots / "signup-5-home-360.png", full_page=True)

    # The crisis link is on the page, visible, big enough to tap, and opens the card.
    crisis = page.get_by_role("link", name="Need help now?")
    expect(crisis).to_be_visible()
    box = crisis.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24
    # Nothing overflows a 360 px phone screen.
    fits_the_phone(page)

    history_before = page.evaluate("history.length")
    page.get_by_role("link", name="Quick exit").click()
    page.wait_for_url(EXIT_URL)
    expect(page.get_by_role("heading", name="Weather")).to_be_visible()
    # The exit replaced this page in the history rather than adding to it,
    # so "Back" does not return to the page she was reading.
    assert page.evaluate("history.length") == history_before


def test_mum_signs_up_step_by_step_on_her_phone_and_quick_exits(
    open_browser, village_server, shots
):
    """Slow (two browsers, five pages): the whole sign-up as she meets it."""
    hers, elsewhere = open_browser(), open_browser()
    hers(lambda page: sign_up(page, shots))
    emails = village_server.emails(to="rosie@example.net")
    assert len(emails) == 1
    assert "Subject: Confirm your email address" in emails[0]
    link = re.search(r"http://127\.0\.0\.1:\d+/accounts/confirm-email/\S+/", emails[0]).group(0)

    elsewhere(lambda page: open_the_link_elsewhere(page, link, shots))
    user = User.objects.get(email="rosie@example.net")
    assert not user.emailaddress_set.get().verified

    hers(lambda page: confirm_give_details_and_quick_exit(page, link, shots))
    assert user.emailaddress_set.get().verified
    assert user.safeguarding_details.real_name == "Rosalind Smith"


def test_crisis_card_opens_from_the_link_on_a_phone(browse):
    def open_card(page):
        page.goto("/accounts/login/")
        page.get_by_role("link", name="Need help now?").click()
        expect(page.get_by_role("heading", name="Need help now?")).to_be_visible()
        expect(page.get_by_text("Samaritans on 116 123")).to_be_visible()

    browse(open_card)
