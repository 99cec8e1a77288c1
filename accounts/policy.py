"""Who may do what with accounts. Views and templates ask here; nothing else decides."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings

from accounts.models import Role, User


def is_active_person(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.anonymised_at is None)


def can_use_staff_pages(user) -> bool:
    return is_active_person(user) and user.role == Role.COORDINATOR


def requires_mfa(user) -> bool:
    """Staff must have TOTP set up before staff pages; the demo coordinator is spared in demo."""
    if not is_active_person(user) or not (user.role == Role.COORDINATOR or user.is_superuser):
        return False
    return not (settings.DEMO and user.email == settings.VILLAGE_DEMO_COORDINATOR_EMAIL)


def can_manage_people(user) -> bool:
    """Invite volunteers, change roles."""
    return can_use_staff_pages(user)


def can_change_role_of(actor, *, person: User) -> bool:
    # Nobody changes her own role: a coordinator cannot lock herself out, and
    # an admin (superuser) stays a coordinator.
    return (
        can_manage_people(actor)
        and person.pk != actor.pk
        and person.anonymised_at is None
        and not person.is_superuser
    )


def can_change_role(actor, *, person: User, role: str) -> bool:
    return can_change_role_of(actor, person=person) and role in Role.values and role != person.role


def can_view_safeguarding_details(actor, *, member: User) -> bool:
    return can_use_staff_pages(actor) and member.role == Role.MEMBER


def may_open_socket(user) -> bool:
    """A live socket is for active people; staff need MFA here just as on the pages."""
    if not is_active_person(user):
        return False
    return has_mfa(user) if requires_mfa(user) else True


def has_mfa(user) -> bool:
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])
