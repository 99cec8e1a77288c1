"""What several browser tests do on a page: check it fits a phone, fill her private details."""

from __future__ import annotations

PHONE = {"width": 360, "height": 740}
PHONE_WIDTH = PHONE["width"]


def fits_the_phone(page) -> None:
    # Wide tables scroll inside their own box; the page itself never does.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, (page.url, width, _widest(page))


def _widest(page) -> list[str]:
    """What sticks out past the phone's edge (for the failure message)."""
    return page.evaluate(
        """[...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .filter(e => !e.closest('.table-wrap'))
        .slice(0, 5)
        .map(e => e.tagName + ': ' + (e.textContent || '').trim().slice(0, 40))"""
    )


def fill_private_details(page) -> None:
    """The signup form's safeguarding details and consent, as a mum would fill them."""
    page.get_by_label("Your full name").fill("Rosalind Smith")
    page.get_by_label("Your phone number").fill("07700 900123")
    page.get_by_label("Your postcode").fill("LS1 4AP")
    page.get_by_label("Your GP practice").fill("Park Surgery")
    page.get_by_label("Emergency contact's name").fill("Tom Smith")
    page.get_by_label("Emergency contact's phone").fill("07700 900456")
    page.get_by_label("I agree that Village may keep").check()
