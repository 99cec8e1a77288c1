"""Screening before anyone else sees a message, in four browsers.

Amy writes a RED message in words no rule knows. The server runs two stages
with no worker of its own (VILLAGE_TASKS=off), so that the message visibly
waits; this test then does the worker's part (stage 2, the tests' scripted
model) from its own process, whose broadcasts reach the server's sockets
through Redis as a real worker's would.
"""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from playwright.sync_api import expect

from chat import services
from chat.models import Message
from infra import tasks
from moderation.models import Flag
from tests.servers import DaphneServer

PARAPHRASED_RED = "scripted reading alpha"

pytestmark = pytest.mark.redis  # stage 2 runs in this process, the sockets in the server's


@pytest.fixture(scope="module")
def village_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """A daphne with both stages on and no worker (overrides the shared one)."""
    base = tmp_path_factory.mktemp("screening-server")
    (base / "mail").mkdir()
    server = DaphneServer(
        mail_dir=base / "mail",
        log_path=base / "daphne.log",
        extra_env={"VILLAGE_SCREENING_STAGES": "2", "VILLAGE_TASKS": "off"},
    ).start()
    yield server
    server.stop()
    assert "Exception inside application" not in server.logs(), server.logs()


def test_a_paraphrased_red_message_waits_unseen_then_is_held_with_the_card_and_the_flag(
    four_in_the_group,
):
    assert settings.REDIS_URL
    amy, beth, val, cora = four_in_the_group

    def write(page):
        page.get_by_label("Your message").fill(PARAPHRASED_RED)
        page.get_by_role("button", name="Send").click()
        waiting = page.locator(".msg.status-screening")
        expect(waiting).to_contain_text(PARAPHRASED_RED)
        expect(waiting).to_contain_text("Sending…")

    amy(write)
    message = Message.objects.get(body=PARAPHRASED_RED)
    assert (message.status, message.seq) == ("screening", None)
    val(lambda page: expect(page.locator(".msg.status-screening")).to_contain_text("Being checked"))
    assert beth(lambda page: page.locator(".msg").filter(has_text=PARAPHRASED_RED).count()) == 0

    # The worker's part: the model reads it and holds it.
    assert tasks.run_now(services.SCREENING_JOB, message_id=message.pk).startswith("held")

    def carded(page):
        card = page.get_by_role("alertdialog")
        expect(card).to_be_visible()
        expect(card).to_contain_text("Samaritans on 116 123")
        expect(page.locator(".msg.status-held")).to_contain_text(PARAPHRASED_RED)
        expect(page.locator(".msg.status-screening")).to_have_count(0)

    amy(carded)
    val(lambda page: expect(page.locator(".msg.flag-red")).to_contain_text(PARAPHRASED_RED))
    val(lambda page: expect(page.locator(".msg.flag-red")).to_contain_text("Held for review"))
    cora(
        lambda page: expect(
            page.locator("[data-flag-id]").filter(has_text=PARAPHRASED_RED)
        ).to_be_visible()
    )
    beth(lambda page: page.wait_for_timeout(500))
    assert beth(lambda page: page.locator(".msg").filter(has_text=PARAPHRASED_RED).count()) == 0
    assert beth(lambda page: page.get_by_role("alertdialog").is_visible()) is False
    flag = Flag.objects.get(message_id=message.pk)
    assert (flag.level, flag.source, flag.category) == ("RED", Flag.Source.MODEL, "self_harm")


def test_a_coordinator_marks_a_message_in_the_room_as_a_missed_risk(
    open_browser, log_in_as, mum, volunteer, coordinator, open_room
):
    missed = services.send_message(
        author=mum, room_id=open_room.pk, client_id=uuid.uuid4(), body="I keep counting my tablets"
    )
    assert missed.status == "published"  # this process screens in one stage
    cora, val = open_browser(), open_browser()
    log_in_as(cora, coordinator)
    log_in_as(val, volunteer)
    val(lambda page: page.goto(f"/rooms/{open_room.pk}/"))
    val(lambda page: expect(page.locator(".msg").filter(has_text="tablets")).to_be_visible())
    assert val(lambda page: page.get_by_role("link", name="Missed risk?").count()) == 0

    def mark(page):
        page.goto(f"/rooms/{open_room.pk}/")
        page.locator(".msg").filter(has_text="tablets").get_by_role(
            "link", name="Missed risk?"
        ).click()
        expect(page.get_by_role("heading", name="Mark a missed risk")).to_be_visible()
        page.get_by_label("What kind of risk did screening miss?").select_option("self_harm")
        page.get_by_role("button", name="Mark as a missed risk").click()

    cora(mark)
    flag = Flag.objects.get(message_id=missed.message["id"])
    assert (flag.level, flag.category) == ("RED", "self_harm")
