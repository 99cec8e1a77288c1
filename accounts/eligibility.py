"""Who the service is for: pregnant, or with a child under 24 months.

Pure functions, no Django: the rule is in SAFEGUARDING.md and a date decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# A due date further ahead than this is a typing mistake, not a pregnancy.
MAX_WEEKS_UNTIL_DUE = 44
MAX_CHILD_AGE_MONTHS = 24


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str = ""


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier` to `later`."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return months


def check_eligibility(
    *, pregnant: bool, due_date: date | None, baby_birth_date: date | None, today: date
) -> Eligibility:
    """Decide whether someone can join; `reason` says why not, in plain words."""
    if pregnant:
        if due_date is None:
            return Eligibility(False, "Please tell us your due date.")
        if (due_date - today).days > MAX_WEEKS_UNTIL_DUE * 7:
            return Eligibility(False, "That due date is more than 44 weeks away. Please check it.")
        # A due date just passed is still a pregnancy (or a newborn): eligible.
        return Eligibility(True)
    if baby_birth_date is None:
        return Eligibility(False, "Please tell us your baby's date of birth.")
    if baby_birth_date > today:
        return Eligibility(False, "That date of birth is in the future. Please check it.")
    if months_between(baby_birth_date, today) >= MAX_CHILD_AGE_MONTHS:
        return Eligibility(False, "child_too_old")
    return Eligibility(True)
