from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.eligibility import check_eligibility
from accounts.forms import EligibilityForm

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("birth", "eligible"),
    [
        (date(2026, 11, 26), True),  # born today
        (date(2025, 1, 1), True),
        (date(2024, 11, 27), True),  # 23 months and 30 days
        (date(2024, 11, 26), False),  # exactly 24 months
        (date(2023, 5, 1), False),
    ],
)
def test_child_must_be_under_24_months(birth, eligible):
    result = check_eligibility(pregnant=False, due_date=None, baby_birth_date=birth, today=TODAY)
    assert result.eligible is eligible


def test_pregnant_with_a_due_date_is_eligible_and_needs_no_diagnosis():
    assert check_eligibility(
        pregnant=True, due_date=date(2027, 4, 1), baby_birth_date=None, today=TODAY
    ).eligible


def test_due_date_far_in_the_future_is_a_mistake_to_correct_not_a_refusal():
    result = check_eligibility(
        pregnant=True, due_date=date(2028, 6, 1), baby_birth_date=None, today=TODAY
    )
    assert not result.eligible
    assert "check" in result.reason


def test_birth_date_in_the_future_asks_to_check():
    result = check_eligibility(
        pregnant=False, due_date=None, baby_birth_date=date(2027, 1, 1), today=TODAY
    )
    assert not result.eligible
    assert "future" in result.reason


def test_missing_dates_are_asked_for():
    assert (
        "due date"
        in check_eligibility(pregnant=True, due_date=None, baby_birth_date=None, today=TODAY).reason
    )
    assert (
        "date of birth"
        in check_eligibility(
            pregnant=False, due_date=None, baby_birth_date=None, today=TODAY
        ).reason
    )


# --- the first step of signing up ------------------------------------------------------


def test_the_first_step_asks_only_whether_village_is_for_her():
    assert list(EligibilityForm.base_fields) == [
        "stage",
        "due_date",
        "baby_birth_date",
        "referral_source",
    ]


def test_the_first_step_keeps_only_the_date_that_goes_with_her_stage():
    form = EligibilityForm(
        {
            "stage": "pregnant",
            "due_date": "2099-01-01",
            "baby_birth_date": "2020-01-01",
            "referral_source": "self",
        }
    )
    # A due date this far ahead is a mistake to correct: the step says so.
    assert not form.is_valid() and "check" in form.errors["due_date"][0]
    due = timezone.localdate() + timedelta(days=60)
    form = EligibilityForm(
        {
            "stage": "pregnant",
            "due_date": due.isoformat(),
            "baby_birth_date": "2020-01-01",
            "referral_source": "self",
        }
    )
    assert form.is_valid()
    assert form.answers() == {
        "stage": "pregnant",
        "due_date": due.isoformat(),
        "baby_birth_date": "",
        "referral_source": "self",
    }
