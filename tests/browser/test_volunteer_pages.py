"""A coordinator on her phone clears a new volunteer and hands over a paused one's 1:1."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import expect

from accounts.models import Role, VolunteerRecord, VolunteerStatus
from accounts.policy import is_cleared_volunteer
from chat import services as chat_services
from tests.browser.pages import fits_the_phone
from tests.conftest import make_person

CHECKED = date.today() - timedelta(days=10)
RENEW_BY = date.today() + timedelta(days=3 * 365)


def clear_nell(page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Volunteers", exact=True).click()
    expect(page.get_by_role("heading", name="Volunteers", level=1)).to_be_visible()
    fits_the_phone(page)
    page.get_by_role("link", name="Nell").click()
    expect(page.get_by_test_id("clearance")).to_contain_text("Her status is “applying”.")
    dbs = page.get_by_role("region", name="Record a DBS check")
    dbs.get_by_label("Date of the DBS check").fill(CHECKED.isoformat())
    dbs.get_by_label("Renew by").fill(RENEW_BY.isoformat())
    dbs.get_by_role("button", name="Record the check").click()
    expect(page.get_by_text("DBS check recorded")).to_be_visible()
    status = page.get_by_role("region", name="Status")
    status.get_by_label("New status").select_option(label="Active")
    status.get_by_label("Why is her status changing?").fill("Training done, DBS back")
    status.get_by_role("button", name="Change status").click()
    expect(page.get_by_test_id("clearance")).to_have_text("Cleared to lead sessions and be paired")
    fits_the_phone(page)


def pause_val_and_hand_over(page) -> None:
    page.goto("/staff/volunteers/")
    page.get_by_role("link", name="Val").click()
    status = page.get_by_role("region", name="Status")
    status.get_by_label("New status").select_option(label="Paused")
    status.get_by_label("Why is her status changing?").fill("Taking a break")
    status.get_by_role("button", name="Change status").click()
    handover = page.get_by_test_id("handover")
    expect(handover.get_by_role("heading", name="1:1 chat with Amy")).to_be_visible()
    fits_the_phone(page)
    handover.get_by_label("New volunteer").select_option(label="Nell")
    handover.get_by_role("button", name="Hand over").click()
    expect(page.get_by_text("Amy's 1:1 chat is now with Nell.")).to_be_visible()
    expect(page.get_by_test_id("handover")).to_have_count(0)


def test_coordinator_clears_a_volunteer_and_hands_over_a_paused_ones_pairing(
    browse, log_in_as, coordinator, mum, volunteer
):
    nell = make_person("nell@example.net", "Nell", Role.VOLUNTEER)
    VolunteerRecord.objects.filter(user=nell).update(
        status=VolunteerStatus.APPLYING, dbs_checked_on=None, dbs_expires_on=None
    )
    pairing = chat_services.pair(actor=coordinator, member=mum, volunteer=volunteer)
    log_in_as(browse, coordinator)
    browse(clear_nell)
    nell.refresh_from_db()
    assert is_cleared_volunteer(nell)
    assert nell.volunteer_record.dbs_expires_on == RENEW_BY
    browse(pause_val_and_hand_over)
    pairing.refresh_from_db()
    assert pairing.volunteer == nell and pairing.ended_at is None
