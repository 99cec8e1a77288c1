"""A family tablet: what Amy left unsent never reaches Beth, who uses the browser after her.

Amy's draft and her unsent message live in the browser's storage so that they
survive a weak connection; they must not survive her: not her logout, not her
quick exit, and not someone else logging in after her.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from chat.models import Message
from tests.browser.test_chat import visit_room

UNSENT = "I had a really bad night, I don't know who else to tell"
DRAFT = "Also my partner has been"
EXIT_URL = "https://www.bbc.co.uk/weather"
WARNING = (
    "You have a message that hasn't sent yet. "
    "If you log out now it will be deleted from this device."
)


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the screenshots go (VILLAGE_SCREENSHOTS to keep them)."""
    folder = Path(os.environ.get("VILLAGE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def leave_a_message_unsent(browse, log_in_as, amy, room) -> dict:
    """Amy, on a connection that swallows her sends, leaves one unsent and starts another.

    Returns the switch that lets sends through again (for whoever comes next).
    """
    blocked = {"on": True}

    def swallow_sends(ws):
        server = ws.connect_to_server()

        def from_page(message):
            if blocked["on"] and json.loads(message).get("type") == "send":
                return
            server.send(message)

        ws.on_message(from_page)
        server.on_message(lambda message: ws.send(message))

    def leave_exit_local(page):
        # The quick-exit destination is outside this machine's network: answer it locally.
        page.route(
            EXIT_URL + "*",
            lambda route: route.fulfill(body="<h1>Weather</h1>", content_type="text/html"),
        )
        page.route_web_socket("**/ws/chat/", swallow_sends)

    browse(leave_exit_local)
    log_in_as(browse, amy)
    visit_room(browse, room.pk)

    def write(page):
        page.get_by_label("Your message").fill(UNSENT)
        page.get_by_role("button", name="Send").click()
        expect(page.locator(".msg.pending")).to_contain_text("Sending…")
        page.get_by_label("Your message").fill(DRAFT)
        # Both are kept in the browser, so that a reload would not lose them.
        stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
        assert UNSENT in stored and DRAFT in stored

    browse(write)
    return blocked


def beth_sees_and_sends_nothing_of_amys(browse, log_in_as, beth, room, shot: Path) -> None:
    log_in_as(browse, beth)
    visit_room(browse, room.pk)

    def look(page):
        assert page.evaluate("document.body.dataset.person") == str(beth.pk)
        # Time for a resend of Amy's message, if anything were left to resend it.
        page.wait_for_timeout(1500)
        page.screenshot(path=shot, full_page=True)
        return {
            "draft": page.get_by_label("Your message").input_value(),
            "shown": page.locator("#messages").inner_text(),
            "stored": page.evaluate("JSON.stringify(Object.assign({}, localStorage))"),
        }

    seen = browse(look)
    # Nothing went out as Beth: not Amy's words, not anything.
    assert not Message.objects.filter(body__in=[UNSENT, DRAFT]).exists()
    assert not Message.objects.filter(author=beth).exists()
    # Nor does she see them, nor are they left in the browser.
    assert seen["draft"] == ""
    assert UNSENT not in seen["shown"]
    assert UNSENT not in seen["stored"] and DRAFT not in seen["stored"]


def test_amy_is_warned_before_logging_out_with_a_message_unsent_and_beth_gets_none_of_it(
    browse, log_in_as, mum, other_mum, open_room, shots
):
    blocked = leave_a_message_unsent(browse, log_in_as, mum, open_room)

    def log_out_but_stay(page):
        page.get_by_role("button", name="Log out").click()
        dialog = page.get_by_role("dialog", name="Before you go")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text(WARNING)
        page.screenshot(path=shots / "amy-unsent-warning-360.png")
        dialog.get_by_role("button", name="Stay logged in").click()
        expect(dialog).to_be_hidden()
        # Staying keeps everything as it was.
        expect(page.locator(".msg.pending")).to_contain_text(UNSENT)
        expect(page.get_by_label("Your message")).to_have_value(DRAFT)

    def log_out_after_all(page):
        page.get_by_role("button", name="Log out").click()
        dialog = page.get_by_role("dialog", name="Before you go")
        dialog.get_by_role("button", name="Log out and delete it").click()
        expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()
        stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
        assert UNSENT not in stored and DRAFT not in stored

    browse(log_out_but_stay)
    browse(log_out_after_all)
    blocked["on"] = False
    beth_sees_and_sends_nothing_of_amys(
        browse, log_in_as, other_mum, open_room, shots / "beth-after-logout-360.png"
    )


def test_quick_exit_clears_everything_amy_left_unsent_and_beth_gets_none_of_it(
    browse, log_in_as, mum, other_mum, open_room, shots
):
    blocked = leave_a_message_unsent(browse, log_in_as, mum, open_room)

    def quick_exit(page):
        page.get_by_role("link", name="Quick exit").click()
        page.wait_for_url(EXIT_URL)

    browse(quick_exit)
    blocked["on"] = False
    beth_sees_and_sends_nothing_of_amys(
        browse, log_in_as, other_mum, open_room, shots / "beth-after-quick-exit-360.png"
    )


def test_beth_logging_in_after_amy_without_a_logout_never_sees_or_sends_amys_words(
    browse, log_in_as, mum, other_mum, open_room, shots
):
    """Amy's session simply ended (timed out, tab closed): nobody cleared anything."""
    blocked = leave_a_message_unsent(browse, log_in_as, mum, open_room)
    blocked["on"] = False
    beth_sees_and_sends_nothing_of_amys(
        browse, log_in_as, other_mum, open_room, shots / "beth-after-amy-left-360.png"
    )


def test_a_logout_with_nothing_unsent_asks_nothing(browse, log_in_as, mum, open_room):
    log_in_as(browse, mum)
    visit_room(browse, open_room.pk)

    def log_out(page):
        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("navigation").get_by_role("link", name="Log in")).to_be_visible()

    browse(log_out)
