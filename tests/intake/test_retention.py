"""The retention rule: a referral that never led to an account keeps the mum's
details for VILLAGE_REFERRAL_RETENTION_DAYS after it closed, then is anonymised
by the periodic daily work (driven here with a clock of the test's own)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from intake import services
from intake.models import Referral
from moderation import services as moderation_services
from moderation.models import Flag
from tests.intake.referrals import MUM_EMAIL, MUM_NAME, REASON, make_referral
from village import periodic

pytestmark = pytest.mark.django_db

YEAR = timedelta(days=365)
PERSONAL = (MUM_NAME, MUM_EMAIL, "07700 900123", REASON, "Hannah Visitor", "hannah.visitor")


def declined(coordinator, **changes) -> Referral:
    referral = make_referral(mum_phone="07700 900123", **changes)
    return services.decline_referral(
        actor=coordinator,
        referral_id=referral.pk,
        reason=f"Not for us: {MUM_NAME} is moving away",
        signposting="Your health visitor can tell you about groups near you.",
    )


def accepted(coordinator) -> Referral:
    referral = make_referral()
    return services.accept_referral(
        actor=coordinator, referral_id=referral.pk, join_url_for=lambda token: f"/join/{token}/"
    )


def run_daily_work_at(moment) -> dict:
    return periodic.run_once(clock=lambda: moment, daily_work=True)


def anonymised_entries():
    return AuditEntry.objects.filter(action="referral_anonymised")


def assert_anonymised(referral: Referral) -> None:
    referral.refresh_from_db()
    assert referral.anonymised_at is not None
    stored = json.dumps(
        {f.name: str(getattr(referral, f.attname)) for f in Referral._meta.concrete_fields}
    )
    for detail in PERSONAL:
        assert detail not in stored
    assert referral.invitation_token is None and referral.baby_birth_date is None
    # What the service counts stays: where she came from, her stage, the outcome.
    assert referral.referrer_role == "health_visitor" and referral.stage == "baby"


def test_a_declined_referral_is_anonymised_a_year_after_it_closed_and_audited(coordinator):
    referral = declined(coordinator)
    closed_at = referral.decided_at

    assert run_daily_work_at(closed_at + YEAR - timedelta(hours=1))["referrals_anonymised"] == 0
    referral.refresh_from_db()
    assert referral.mum_email == MUM_EMAIL and referral.anonymised_at is None

    assert run_daily_work_at(closed_at + YEAR + timedelta(hours=1))["referrals_anonymised"] == 1
    assert_anonymised(referral)
    (entry,) = anonymised_entries()
    assert entry.target_id == str(referral.pk) and entry.actor is None
    recorded = json.dumps([entry.reason, entry.details])
    for detail in PERSONAL:
        assert detail not in recorded
    # Once only: the next day's run finds nothing more to do.
    assert run_daily_work_at(closed_at + YEAR + timedelta(days=1))["referrals_anonymised"] == 0
    assert anonymised_entries().count() == 1


def test_an_invitation_never_used_is_anonymised_a_year_after_it_expired(coordinator):
    referral = accepted(coordinator)
    expired_at = referral.invitation_expires_at
    assert (
        run_daily_work_at(referral.decided_at + YEAR + timedelta(days=1))["referrals_anonymised"]
        == 0
    )  # a year after the decision, but the link was live for weeks after it
    assert run_daily_work_at(expired_at + YEAR + timedelta(hours=1))["referrals_anonymised"] == 1
    assert_anonymised(referral)


def test_an_open_flag_about_a_referral_holds_it_until_resolved(coordinator):
    referral = declined(coordinator, screen_suicide_plan=True)
    flag = Flag.objects.get(referral=referral)
    later = referral.decided_at + YEAR + timedelta(days=3)
    assert run_daily_work_at(later)["referrals_anonymised"] == 0
    referral.refresh_from_db()
    assert referral.mum_name == MUM_NAME

    moderation_services.resolve_flag(
        actor=coordinator, flag_id=flag.pk, outcome="support_given", note="spoke to her GP"
    )
    assert run_daily_work_at(later)["referrals_anonymised"] == 1
    assert_anonymised(referral)


def test_open_and_joined_referrals_are_kept(coordinator, mum):
    waiting = make_referral()
    services.put_on_waiting_list(actor=coordinator, referral_id=waiting.pk)
    joined = accepted(coordinator)
    # A referral joins only an account for its own (verified) address: hers.
    Referral.objects.filter(pk=joined.pk).update(mum_email=mum.email)
    services.record_signup(referral_id=joined.pk, user=mum)
    far_future = timezone.now() + 3 * YEAR
    assert run_daily_work_at(far_future)["referrals_anonymised"] == 0
    assert not Referral.objects.filter(anonymised_at__isnull=False).exists()


def test_the_retention_period_is_a_setting(coordinator, settings):
    settings.VILLAGE_REFERRAL_RETENTION_DAYS = 30
    referral = declined(coordinator)
    assert run_daily_work_at(referral.decided_at + timedelta(days=31))["referrals_anonymised"] == 1
    assert_anonymised(referral)
