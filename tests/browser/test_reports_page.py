"""Cora opens the reports page on her phone and sees the change-in-scores chart."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from outcomes.models import Occasion, Questionnaire
from tests.browser.pages import fits_the_phone
from tests.conftest import make_member

# Five mums' PHQ-9 at the start and at their latest follow-up: enough to show.
PHQ9 = [(18, 10), (15, 9), (20, 15), (12, 11), (14, 6)]

# The chart's "latest" bars are Village green (#2f5d50): finding that colour
# in the drawn image shows the SVG's own styles were applied, not blocked.
CHART_PIXELS = """img => {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let green = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - 47) < 6 && Math.abs(data[i + 1] - 93) < 6
        && Math.abs(data[i + 2] - 80) < 6) green++;
  }
  return {width: img.naturalWidth, green: green};
}"""


def see_the_change_chart(page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Reports", exact=True).click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Change in scores")).to_be_visible()
    chart = page.get_by_test_id("change-chart")
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_visible()
    alt = chart.get_attribute("alt")
    assert alt.startswith("Bar charts of the mean score at the start")
    assert "PHQ-9 (lower is better) from 15.80 to 10.20, 5 mums" in alt
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    drawn = chart.evaluate(CHART_PIXELS)
    assert drawn["width"] > 0
    assert drawn["green"] > 500, drawn
    # The chart fits the phone's width; the table scrolls inside its own box.
    assert chart.evaluate("img => img.getBoundingClientRect().width") <= 360
    fits_the_phone(page)


def test_coordinator_sees_the_change_in_scores_chart_on_her_phone(browse, log_in_as, coordinator):
    now = timezone.now()
    for n, (start, latest) in enumerate(PHQ9):
        mum = make_member(f"mum{n}@example.net", f"Mum{n}")
        for occasion, when, total in (
            (Occasion.BASELINE, now - timedelta(days=90), start),
            (Occasion.FOLLOW_UP, now - timedelta(days=10), latest),
        ):
            Questionnaire.objects.create(
                member=mum,
                measure="phq9",
                version="1",
                occasion=occasion,
                due_at=when,
                completed_at=when,
                total=total,
            )

    log_in_as(browse, coordinator)
    browse(see_the_change_chart)
