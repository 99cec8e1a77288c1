"""Self-referrals that say "yes" on the safety screen: each pages every coordinator,
so one address may raise only a few a day; beyond that she still sees what to do now."""

from __future__ import annotations

import html
import uuid

import pytest
from django.urls import reverse

from intake.models import Referral
from moderation.models import Flag
from tests.intake.referrals import SELF_REFERRAL, referral_data

pytestmark = pytest.mark.django_db

REFER = reverse("refer")


def an_address() -> str:
    # Each test its own address: the counts live in the shared cache.
    return f"2001:db8::{uuid.uuid4().hex[:4]}"


def test_urgent_self_referrals_over_the_limit_show_the_crisis_steps_and_raise_nothing(
    client, settings
):
    settings.VILLAGE_URGENT_SELF_REFERRALS_PER_ADDRESS_PER_DAY = 2
    address = an_address()
    urgent = referral_data(**SELF_REFERRAL, screen_suicide_plan="yes")
    for _ in range(2):
        response = client.post(REFER, urgent, REMOTE_ADDR=address)
        assert response.url == reverse("refer_urgent")
    assert Flag.objects.count() == 2

    response = client.post(REFER, urgent, REMOTE_ADDR=address)
    assert response.url == reverse("refer_urgent")
    page = html.unescape(client.get(reverse("refer_urgent")).content.decode())
    assert "If you or your baby are in danger now" in page and "999" in page
    assert "Samaritans" in page
    # Nobody was told, so the page does not say so.
    assert "alerted" not in page and "We've let the team know" not in page
    assert Flag.objects.count() == 2 and Referral.objects.count() == 2


def test_the_urgent_limit_is_per_address_and_leaves_routine_referrals_alone(client, settings):
    settings.VILLAGE_URGENT_SELF_REFERRALS_PER_ADDRESS_PER_DAY = 1
    address = an_address()
    urgent = referral_data(**SELF_REFERRAL, screen_unsafe_at_home="yes")
    client.post(REFER, urgent, REMOTE_ADDR=address)
    client.post(REFER, urgent, REMOTE_ADDR=address)
    assert Flag.objects.count() == 1
    # A professional's urgent referral from the same address is not a self sign-up.
    client.post(REFER, referral_data(screen_unsafe_at_home="yes"), REMOTE_ADDR=address)
    # Nor is a self-referral that said no.
    client.post(REFER, referral_data(**SELF_REFERRAL), REMOTE_ADDR=address)
    # Another address has its own count.
    client.post(REFER, urgent, REMOTE_ADDR=an_address())
    assert Flag.objects.count() == 3
    assert Referral.objects.count() == 4
