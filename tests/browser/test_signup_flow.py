"""A mum signs up on her phone, verifies by the emailed link, logs in, and can leave at once."""

import re
from datetime import date, timedelta

from playwright.sync_api import expect

from accounts.models import User
from tests.browser.pages import fill_private_details, fits_the_phone

PASSWORD = "a long and unusual passphrase"
EXIT_URL = "https://www.bbc.co.uk/weather"


def sign_up(page):
    # The quick-exit destination is outside this machine's network: answer it locally.
    page.route(
        EXIT_URL + "*",
        lambda route: route.fulfill(body="<h1>Weather</h1>", content_type="text/html"),
    )
    page.goto("/")
    page.get_by_role("link", name="Join Village").click()

    page.get_by_label("Display name").fill("Rosie")
    page.get_by_label("Email").fill("rosie@example.net")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("I have a baby or toddler").check()
    page.get_by_label("Your baby's date of birth").fill(
        (date.today() - timedelta(days=200)).isoformat()
    )
    page.get_by_label("How did you hear about us?").select_option("health_visitor")
    fill_private_details(page)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()


def verify_log_in_and_quick_exit(page, link):
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("rosie@example.net")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Hello, Rosie")).to_be_visible()
    assert "rosie@example.net" not in page.content()

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


def test_mum_signs_up_verifies_logs_in_sees_crisis_link_and_quick_exits(browse, village_server):
    browse(sign_up)
    emails = village_server.emails(to="rosie@example.net")
    assert len(emails) == 1
    assert "Subject: Confirm your email address" in emails[0]
    link = re.search(r"http://127\.0\.0\.1:\d+/accounts/confirm-email/\S+/", emails[0]).group(0)
    browse(lambda page: verify_log_in_and_quick_exit(page, link))
    assert User.objects.get(email="rosie@example.net").emailaddress_set.get().verified


def test_crisis_card_opens_from_the_link_on_a_phone(browse):
    def open_card(page):
        page.goto("/accounts/login/")
        page.get_by_role("link", name="Need help now?").click()
        expect(page.get_by_role("heading", name="Need help now?")).to_be_visible()
        expect(page.get_by_text("Samaritans on 116 123")).to_be_visible()

    browse(open_card)
