"""The team's badge cannot be imitated by a name (issue 14).

A member who chose "Val (volunteer)" before names were checked keeps it (she
is listed by `check_display_names`), but her name never draws the badge: the
badge is an element of its own, drawn from the role field.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_chat import say, visit_room


def test_only_the_real_volunteer_wears_the_badge_in_the_presence_list_and_on_messages(
    open_browser, log_in_as, mum, other_mum, volunteer, open_room, tmp_path
):
    mum.display_name = "Val (volunteer)"  # an old name, chosen before the rules
    mum.save(update_fields=["display_name"])
    val, imposter, beth = open_browser(), open_browser(), open_browser()
    for browse, person in ((val, volunteer), (imposter, mum), (beth, other_mum)):
        log_in_as(browse, person)
        visit_room(browse, open_room.pk)
    say(val, "Hello, I'm Val, your volunteer tonight")
    say(imposter, "Hello, I'm Val too")
    for browse in (val, imposter):
        browse(lambda page: page.get_by_label("Your message").press_sequentially("Hi"))

    def look(page):
        # First, while they are still typing (shown for 5 seconds).
        typing = page.locator("#typing .person")
        expect(typing).to_have_count(2)
        expect(typing.locator(".role-badge")).to_have_count(1)
        expect(typing.filter(has=page.locator(".role-badge")).locator(".person-name")).to_have_text(
            "Val"
        )
        online = page.locator("#online")
        expect(online.locator(".person")).to_have_count(3)
        real = online.locator(".person").filter(has=page.locator(".role-badge"))
        expect(real).to_have_count(1)
        expect(real.locator(".person-name")).to_have_text("Val")
        expect(real.locator(".role-badge")).to_have_text("Volunteer")
        fake = page.locator(".msg").filter(has_text="I'm Val too")
        expect(fake.locator(".author")).to_have_text("Val (volunteer)")
        expect(fake.locator(".role-badge")).to_have_count(0)
        genuine = page.locator(".msg").filter(has_text="your volunteer tonight")
        expect(genuine.locator(".role-badge")).to_have_text("Volunteer")
        # The badge looks like a badge, not like words.
        colour = real.locator(".role-badge").evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
        folder = Path(os.environ.get("VILLAGE_SCREENSHOTS", tmp_path))
        page.screenshot(path=folder / "badge-presence-360.png", full_page=True)

    beth(look)
