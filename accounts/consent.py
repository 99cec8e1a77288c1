"""The wording of the health-data consent, versioned.

Changing the wording means a new version: people are asked again, and each
consent row records the version its person agreed to.
"""

HEALTH_DATA_CONSENT_VERSION = "1"
HEALTH_DATA_CONSENT_TEXT = (
    "I agree that Village may keep what I share about my health and wellbeing "
    "(including what I write in chats) so that volunteers and coordinators can "
    "support me and keep me safe. Only the people who support me can see it. "
    "I can withdraw this consent at any time from my profile."
)
