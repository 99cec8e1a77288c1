"""A member's warning, marked as read: back where she was, never off the site (issue 14)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.models import Warning
from moderation.services import warn_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def warning(coordinator, mum):
    return warn_member(actor=coordinator, member=mum, note="Please keep to the room's guidelines.")


def test_reading_a_warning_marks_it_seen_and_goes_back_to_her_room(client, mum, warning):
    client.force_login(mum)
    response = client.post(reverse("warning_seen", args=[warning.pk]), {"next": "/rooms/7/"})
    assert response.status_code == 302 and response.url == "/rooms/7/"
    assert Warning.objects.get(pk=warning.pk).seen_at is not None


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/login",
        "http://evil.example",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        " //evil.example",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_reading_a_warning_never_sends_her_off_the_site(client, mum, warning, next_url):
    client.force_login(mum)
    response = client.post(reverse("warning_seen", args=[warning.pk]), {"next": next_url})
    assert response.status_code == 302
    assert response.url == reverse("home"), next_url
    assert Warning.objects.get(pk=warning.pk).seen_at is not None
