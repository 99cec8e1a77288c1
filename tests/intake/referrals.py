"""Referrals for the intake tests: the form's data, and referrals made through the service."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from intake import services
from intake.models import Referral

MUM_NAME = "Rosalind Smith"
MUM_EMAIL = "rosie@example.net"
REASON = "Low since the birth and finding the nights very lonely"


def referral_data(**changes) -> dict:
    """A health visitor's referral of an eligible mum, as the form posts it."""
    data = {
        "referrer_role": "health_visitor",
        "referrer_name": "Hannah Visitor",
        "referrer_organisation": "Leeds Health Visiting Team",
        "referrer_email": "hannah.visitor@nhs.example",
        "referrer_phone": "0113 496 0000",
        "mum_name": MUM_NAME,
        "mum_email": MUM_EMAIL,
        "mum_phone": "07700 900123",
        "stage": "baby",
        "due_date": "",
        "baby_birth_date": (date.today() - timedelta(days=120)).isoformat(),
        "language": "pl",
        "interpreter_needed": "on",
        "support_wanted": "one_to_one",
        "experience_wanted": ["birth_trauma", "nicu"],
        "reason": REASON,
        "screen_suicide_plan": "no",
        "screen_psychosis": "no",
        "screen_baby_harm": "no",
        "screen_unsafe_at_home": "no",
        "consent_contact": "on",
        "consent_data": "on",
        "consent_share_outcome": "on",
        "consent_given_by": "mum_to_referrer",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


SELF_REFERRAL = {
    "referrer_role": "self",
    "referrer_name": "",
    "referrer_organisation": "",
    "referrer_email": "",
    "referrer_phone": "",
    "consent_share_outcome": None,
    "consent_given_by": "mum",
}

BASE_DETAILS = services.ReferralDetails(
    referrer_role="health_visitor",
    referrer_name="Hannah Visitor",
    referrer_organisation="Leeds Health Visiting Team",
    referrer_email="hannah.visitor@nhs.example",
    mum_name=MUM_NAME,
    mum_email=MUM_EMAIL,
    stage="baby",
    baby_birth_date=date.today() - timedelta(days=120),
    language="pl",
    interpreter_needed=True,
    support_wanted="one_to_one",
    experience_wanted=["birth_trauma"],
    reason=REASON,
    consent_contact=True,
    consent_data=True,
    consent_share_outcome=True,
    consent_given_by="mum_to_referrer",
)


def make_referral(**changes) -> Referral:
    """A referral as the public form stores it (audited; flagged if the screen said yes)."""
    return services.submit_referral(details=replace(BASE_DETAILS, **changes), eligible=True)


def make_self_referral(**changes) -> Referral:
    return make_referral(
        referrer_role="self",
        referrer_name="",
        referrer_organisation="",
        referrer_email="",
        consent_share_outcome=False,
        consent_given_by="mum",
        **changes,
    )
