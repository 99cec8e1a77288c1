"""Reads about people that more than one caller needs."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.consent import HEALTH_DATA_CONSENT_TEXT, HEALTH_DATA_CONSENT_VERSION
from accounts.models import HealthDataConsent, User


@dataclass(frozen=True)
class ConsentStatus:
    in_force: HealthDataConsent | None
    current_version: str
    text: str
    history: list[HealthDataConsent]

    @property
    def needs_renewal(self) -> bool:
        return self.in_force is None or self.in_force.version != self.current_version


def health_consent_status(*, user: User) -> ConsentStatus:
    history = list(HealthDataConsent.objects.filter(user=user))
    in_force = next((c for c in history if c.withdrawn_at is None), None)
    return ConsentStatus(
        in_force=in_force,
        current_version=HEALTH_DATA_CONSENT_VERSION,
        text=HEALTH_DATA_CONSENT_TEXT,
        history=history,
    )
