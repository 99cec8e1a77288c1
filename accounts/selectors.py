"""Reads about people that more than one caller needs."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.db.models import QuerySet
from django.utils.crypto import constant_time_compare

from accounts.consent import HEALTH_DATA_CONSENT_TEXT, HEALTH_DATA_CONSENT_VERSION
from accounts.models import HealthDataConsent, Role, User


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


def login_is_valid(*, user_id: int, session_key: str | None) -> bool:
    """True while this browser login still belongs to this active user.

    Sockets call this after joining their revocation groups, so that a logout
    or password change during the handshake is not missed.
    """
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()
    if str(data.get(SESSION_KEY)) != str(user_id):
        return False
    user = User.objects.filter(pk=user_id, is_active=True, anonymised_at__isnull=True).first()
    if user is None:
        return False
    return constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash())


def active_coordinators() -> QuerySet[User]:
    """The coordinators to tell when something needs one: active, not anonymised."""
    return User.objects.filter(role=Role.COORDINATOR, is_active=True, anonymised_at=None)
