"""A mum answers PHQ-9 on a 360 px phone, from the prompt on her home page."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from chat import services as chat_services
from outcomes.models import Answer, Questionnaire
from outcomes.services import save_outcome_settings
from tests.browser.pages import fits_the_phone
from village import periodic


def answer_phq9(page) -> None:
    page.goto("/")
    prompt = page.get_by_test_id("outcome-prompt")
    expect(prompt).to_be_visible()
    prompt.get_by_role("link", name="A few questions to start").click()
    expect(
        page.get_by_role("heading", name="A few questions about how you've been")
    ).to_be_visible()
    fits_the_phone(page)
    for number in range(1, 9):
        group = page.get_by_role("group", name=f"{number}. ", exact=False).first
        group.get_by_label("Several days").check()
    page.get_by_role("group", name="9. ", exact=False).get_by_label("Not at all").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Thank you for answering.")).to_be_visible()
    expect(page.get_by_test_id("outcome-prompt")).to_have_count(0)
    page.get_by_role("link", name="See my progress").click()
    expect(page.get_by_role("heading", name="PHQ-9")).to_be_visible()
    fits_the_phone(page)


def test_a_mum_completes_phq9_on_her_phone(browse, log_in_as, coordinator, mum):
    save_outcome_settings(actor=coordinator, measures=["phq9"], follow_up_weeks=6)
    room = chat_services.create_room(actor=coordinator, name="Monday group")
    chat_services.enrol_member(actor=coordinator, room_id=room.pk, member=mum)
    periodic.run_once(clock=lambda: timezone.now() - timedelta(minutes=1))
    log_in_as(browse, mum)
    browse(answer_phq9)
    questionnaire = Questionnaire.objects.get(member=mum, measure="phq9")
    assert questionnaire.total == 8 and questionnaire.band == "mild"
    assert Answer.objects.filter(questionnaire=questionnaire, score=1).count() == 8
    assert questionnaire.risk_flag is None
