"""The chat in a real browser: real time, weak connections, hostile text, a small phone."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from chat.models import Message

XSS = "<script>alert(1)</script> and <img src=x onerror=alert(1)>"


def visit_room(browse, room_id):
    def go(page):
        page.goto(f"/rooms/{room_id}/")
        expect(page.locator("#connection")).to_have_text("")
        expect(page.locator("#session-banner")).not_to_have_text("Connecting…")

    browse(go)


def say(browse, text):
    def type_and_send(page):
        page.get_by_label("Your message").fill(text)
        page.get_by_role("button", name="Send").click()
        expect(page.locator(".msg:not(.pending)").filter(has_text=text)).to_have_count(1)

    browse(type_and_send)


def sees(browse, author, text):
    def check(page):
        message = page.locator(".msg").filter(has_text=text)
        expect(message).to_have_count(1)
        expect(message.locator(".author")).to_have_text(author)

    browse(check)


def bodies(browse):
    return browse(lambda page: page.locator(".msg .msg-body").all_inner_texts())


def test_val_opens_the_session_and_amy_and_beth_chat_with_her_in_real_time(
    open_browser, log_in_as, volunteer, mum, other_mum, group_room
):
    val, amy, beth = open_browser(), open_browser(), open_browser()
    logs = []
    amy(lambda page: page.on("console", lambda m: logs.append(m.text)))
    for browse, person in ((val, volunteer), (amy, mum), (beth, other_mum)):
        log_in_as(browse, person)
        visit_room(browse, group_room.pk)

    amy(lambda page: expect(page.get_by_label("Your message")).to_be_disabled())
    val(lambda page: page.get_by_role("button", name="Open the session").click())
    for browse in (amy, beth):
        browse(lambda page: expect(page.locator("#session-banner")).to_contain_text("open"))
        browse(lambda page: expect(page.get_by_label("Your message")).to_be_enabled())

    say(val, "Evening both, how are you doing?")
    sees(amy, "Val", "Evening both, how are you doing?")
    sees(beth, "Val", "Evening both, how are you doing?")
    amy(lambda page: expect(page.locator("#online")).to_contain_text("Val"))
    # Her badge is an element drawn from her role, not words after her name.
    amy(
        lambda page: expect(
            page.locator("#online .person").filter(has_text="Val").locator(".role-badge")
        ).to_have_text("Volunteer")
    )

    beth(lambda page: page.get_by_label("Your message").press_sequentially("Ti"))
    amy(lambda page: expect(page.locator("#typing")).to_have_text("Beth is typing…"))
    beth(lambda page: page.get_by_label("Your message").fill(""))

    say(amy, "Tired but OK. Baby slept a bit.")
    say(beth, "Same here!")
    sees(val, "Amy", "Tired but OK. Baby slept a bit.")
    sees(val, "Beth", "Same here!")
    expected = ["Evening both, how are you doing?", "Tired but OK. Baby slept a bit.", "Same here!"]
    for browse in (val, amy, beth):
        assert bodies(browse) == expected

    val(lambda page: page.once("dialog", lambda dialog: dialog.accept()))
    val(lambda page: page.get_by_role("button", name="Close the session").click())
    amy(lambda page: expect(page.locator("#session-banner")).to_contain_text("closed"))
    amy(lambda page: expect(page.get_by_label("Your message")).to_be_disabled())


def test_a_message_sent_while_the_connection_drops_arrives_exactly_once_and_in_order(
    open_browser, log_in_as, mum, other_mum, open_room
):
    amy, beth = open_browser(), open_browser()
    log_in_as(amy, mum)
    log_in_as(beth, other_mum)
    cut = {"done": False}

    def cut_after_the_first_send(ws):
        """Pass frames through, but drop the line right after Amy's first send
        reaches the server, before its ack can come back."""
        server = ws.connect_to_server()

        def from_page(message):
            frame = json.loads(message)
            server.send(message)
            if frame["type"] == "send" and not cut["done"]:
                cut["done"] = True
                ws.close(code=4000, reason="the lift")
                server.close()

        ws.on_message(from_page)
        server.on_message(lambda message: ws.send(message))

    amy(lambda page: page.route_web_socket("**/ws/chat/", cut_after_the_first_send))
    visit_room(amy, open_room.pk)
    visit_room(beth, open_room.pk)
    say(beth, "Anyone around?")
    sees(amy, "Beth", "Anyone around?")

    def send_into_the_lift(page):
        page.get_by_label("Your message").fill("Yes! Sorry, signal is awful here")
        page.get_by_role("button", name="Send").click()

    amy(send_into_the_lift)
    assert amy(lambda page: cut["done"])
    # The client reconnects by itself and resends with the same client_id.
    amy(
        lambda page: expect(
            page.locator(".msg:not(.pending)").filter(has_text="signal is awful")
        ).to_have_count(1, timeout=15_000)
    )
    say(beth, "Glad you're here")
    for browse in (amy, beth):
        browse(
            lambda page: expect(
                page.locator(".msg").filter(has_text="Glad you're here")
            ).to_have_count(1)
        )
        assert bodies(browse) == [
            "Anyone around?",
            "Yes! Sorry, signal is awful here",
            "Glad you're here",
        ]
    assert Message.objects.filter(body="Yes! Sorry, signal is awful here").count() == 1
    assert list(
        Message.objects.filter(room=open_room).order_by("seq").values_list("seq", flat=True)
    ) == [1, 2, 3]


def test_html_in_a_message_shows_as_text_and_runs_nothing(
    open_browser, log_in_as, mum, other_mum, open_room
):
    amy, beth = open_browser(), open_browser()
    dialogs = []
    for browse, person in ((amy, mum), (beth, other_mum)):
        log_in_as(browse, person)
        browse(
            lambda page: page.on(
                "dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss())
            )
        )
        visit_room(browse, open_room.pk)
    say(amy, XSS + " see https://www.nhs.uk/mental-health/")
    sees(beth, "Amy", "<script>alert(1)</script>")

    def check(page):
        body = page.locator(".msg .msg-body").first
        expect(body).to_contain_text("<img src=x onerror=alert(1)>")
        assert body.locator("script, img").count() == 0
        link = body.locator("a")
        expect(link).to_have_attribute("href", "https://www.nhs.uk/mental-health/")
        expect(link).to_have_attribute("rel", "nofollow noopener noreferrer")
        page.wait_for_timeout(300)

    beth(check)
    amy(check)
    assert dialogs == []


def test_a_360px_phone_shows_the_composer_and_crisis_link_without_sideways_scrolling(
    browse, log_in_as, mum, open_room
):
    log_in_as(browse, mum)
    visit_room(browse, open_room.pk)
    say(browse, "A long message " + "without-any-spaces-at-all-" * 12)

    def check(page):
        assert page.viewport_size["width"] == 360
        expect(page.get_by_label("Your message")).to_be_visible()
        expect(page.get_by_role("button", name="Send")).to_be_visible()
        expect(page.get_by_role("link", name="Need help now?")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.goto("/")
        expect(page.get_by_role("link", name=open_room.name)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    browse(check)


def test_unsent_text_survives_a_reload(browse, log_in_as, mum, open_room):
    log_in_as(browse, mum)
    visit_room(browse, open_room.pk)

    def type_then_reload(page):
        page.get_by_label("Your message").fill("half a thought")
        page.reload()
        expect(page.get_by_label("Your message")).to_have_value("half a thought")

    browse(type_then_reload)


def test_the_room_list_updates_live_with_unread_counts_and_session_state(
    open_browser, log_in_as, mum, other_mum, volunteer, group_room
):
    amy, val = open_browser(), open_browser()
    log_in_as(amy, mum)
    log_in_as(val, volunteer)
    amy(lambda page: page.goto("/"))
    item = lambda page: page.locator(".room-item").filter(has_text=group_room.name)  # noqa: E731
    amy(lambda page: expect(item(page)).to_contain_text("Closed"))
    visit_room(val, group_room.pk)
    val(lambda page: page.get_by_role("button", name="Open the session").click())
    amy(lambda page: expect(item(page)).to_contain_text("Open now"))
    say(val, "Hello!")
    amy(lambda page: expect(item(page).locator("[data-unread]")).to_have_text("1 new"))
