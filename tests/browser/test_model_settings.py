"""A coordinator on her phone reads what the risk model measured, lowers a threshold,
and tries a message to see the model's reading beside the rules'."""

from playwright.sync_api import expect

from moderation.models import SiteSettings
from tests.browser.pages import fits_the_phone

WORRY = "a heavy day, scripted reading bravo"  # the scripted model: self_harm 0.55


def lower_the_self_harm_review_threshold(page) -> None:
    page.goto("/staff/moderation/settings/")
    expect(page.get_by_role("heading", name="The risk model")).to_be_visible()
    review = page.get_by_label("self_harm: review (AMBER) threshold")
    expect(review).to_contain_text("(recommended)")
    expect(page.get_by_text("held-out self_harm lines and raised").first).to_be_visible()
    fits_the_phone(page)
    review.select_option("0.50")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("The settings are saved.")).to_be_visible()
    expect(page.get_by_label("self_harm: review (AMBER) threshold")).to_have_value("0.50")
    fits_the_phone(page)


def try_a_worrying_message(page) -> None:
    page.goto("/staff/moderation/rules/")
    page.get_by_label("Message", exact=True).fill(WORRY)
    page.get_by_role("button", name="See what would happen").click()
    result = page.get_by_test_id("try-result")
    expect(result.get_by_text("No rule matched.")).to_be_visible()
    expect(result.get_by_text("self_harm: 0.55, raises AMBER")).to_be_visible()
    fits_the_phone(page)


def test_coordinator_tunes_the_model_and_sees_its_reading_on_her_phone(
    browse, log_in_as, coordinator
):
    log_in_as(browse, coordinator)
    browse(lower_the_self_harm_review_threshold)
    assert SiteSettings.objects.get().model_thresholds == {"self_harm": {"review": 0.5}}
    browse(try_a_worrying_message)
