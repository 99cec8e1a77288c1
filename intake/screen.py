"""The referral form's safety screen: the questions and what a "yes" means."""

from __future__ import annotations

# (model field, question), in the order the form asks them.
SCREEN_QUESTIONS = (
    ("screen_suicide_plan", "Is she having thoughts of suicide, and has she made a plan?"),
    (
        "screen_psychosis",
        "Is she hearing or seeing things others don't, or not sleeping for days and confused?",
    ),
    ("screen_baby_harm", "Is she having thoughts of harming her baby, with intent to act?"),
    ("screen_unsafe_at_home", "Is she unsafe at home?"),
)

# The risk category (SAFEGUARDING.md) a "yes" raises, most urgent first.
SCREEN_CATEGORIES = {
    "screen_suicide_plan": "self_harm",
    "screen_psychosis": "psychosis",
    "screen_baby_harm": "baby_harm",
    "screen_unsafe_at_home": "abuse_dv",
}
