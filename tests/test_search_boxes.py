"""Every search box and filter on the staff pages answers odd input kindly (issue 14).

`/staff/?q=%00` gave a 500: PostgreSQL cannot hold a NUL character in a query,
and an unchecked `request.GET.get("q")` went straight into one. Searches are
read through forms, which refuse NUL and overlong text with a clear message.
"""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NUL = "\x00"
LONG = "b" * 5000

# (page, its query) for every search and filter a coordinator can type into.
ODD_SEARCHES = [
    ("staff_people", {"q": NUL}),
    ("staff_people", {"q": f"bet{NUL}h"}),
    ("staff_people", {"q": LONG}),
    ("staff_people", {"role": NUL}),
    ("staff_people", {"page": NUL}),
    ("audit_log", {"actor": NUL}),
    ("audit_log", {"target": LONG}),
    ("audit_log", {"since": NUL}),
    ("moderation_rules", {"term": NUL}),
    ("moderation_rules", {"term": LONG}),
    ("staff_volunteers", {"status": NUL}),
    ("staff_pairings", {"member": NUL}),
    ("staff_reports", {"date_from": NUL}),
]


@pytest.mark.parametrize(("page", "query"), ODD_SEARCHES)
def test_odd_search_input_gets_a_page_not_a_server_error(client, coordinator, page, query):
    client.force_login(coordinator)
    response = client.get(reverse(page), query)
    assert response.status_code in {200, 400}, response.status_code


def test_people_search_with_a_nul_says_what_is_wrong(client, coordinator, mum):
    client.force_login(coordinator)
    response = client.get(reverse("staff_people"), {"q": f"Amy{NUL}"})
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "Please take out the unusual character" in page


def test_people_search_over_the_length_limit_says_so(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("staff_people"), {"q": LONG})
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "at most 100 characters" in page


def test_people_search_still_finds_by_name_and_role(client, coordinator, mum, other_mum, volunteer):
    client.force_login(coordinator)
    page = client.get(reverse("staff_people"), {"role": "member", "q": " bet "}).content.decode()
    assert "Beth" in page
    assert ">Amy<" not in page and ">Val<" not in page
