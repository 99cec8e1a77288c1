"""Who may do what with accounts. Views and templates ask here; nothing else decides."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, TypeAlias, TypeGuard

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, SafeguardingDetails, User, VolunteerStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    # Whoever is asking (a request's user): a person signed in, or nobody yet.
    AnyUser: TypeAlias = User | AnonymousUser


def is_active_person(user: AnyUser | None) -> TypeGuard[User]:
    return bool(user and user.is_authenticated and user.is_active and user.anonymised_at is None)


def can_use_staff_pages(user: AnyUser) -> TypeGuard[User]:
    return is_active_person(user) and user.role == Role.COORDINATOR


def requires_mfa(user: AnyUser) -> bool:
    """Staff must have TOTP set up before staff pages; the demo coordinator is spared in demo."""
    if not is_active_person(user) or not (user.role == Role.COORDINATOR or user.is_superuser):
        return False
    return not (settings.DEMO and user.email == settings.VILLAGE_DEMO_COORDINATOR_EMAIL)


def can_manage_people(user: AnyUser) -> TypeGuard[User]:
    """Invite volunteers, change roles."""
    return can_use_staff_pages(user)


def can_change_role_of(actor: AnyUser, *, person: User) -> bool:
    # Nobody changes her own role: a coordinator cannot lock herself out, and
    # an admin (superuser) stays a coordinator.
    return (
        can_manage_people(actor)
        and person.pk != actor.pk
        and person.anonymised_at is None
        and not person.is_superuser
    )


def can_change_role(actor: AnyUser, *, person: User, role: str) -> bool:
    return can_change_role_of(actor, person=person) and role in Role.values and role != person.role


def can_view_safeguarding_details(actor: AnyUser, *, member: User) -> bool:
    return can_use_staff_pages(actor) and member.role == Role.MEMBER


def needs_private_details(user: AnyUser) -> bool:
    """A member who has not yet given her private safeguarding details and consent.

    She gives them herself once her address is proven; the pages that rely
    on them send her to that step first.
    """
    return (
        is_active_person(user)
        and user.role == Role.MEMBER
        and not SafeguardingDetails.objects.filter(member=user).exists()
    )


def may_give_private_details(user: AnyUser) -> bool:
    return needs_private_details(user)


def is_asked_for_health_consent(user: AnyUser) -> bool:
    """Members are asked for explicit consent to keep their health data, and may
    withdraw it, on their profile page; staff are not asked."""
    return is_active_person(user) and user.role == Role.MEMBER


def may_open_socket(user: AnyUser) -> bool:
    """A live socket is for active people; staff need MFA here just as on the pages."""
    if not is_active_person(user):
        return False
    return has_mfa(user) if requires_mfa(user) else True


def has_mfa(user: User) -> bool:
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


# --- Volunteers ---------------------------------------------------------------------


def is_cleared_volunteer(user: AnyUser, *, today: date | None = None) -> TypeGuard[User]:
    """An active volunteer whose DBS check has not expired (it is valid through
    its expiry date): only she may lead sessions and be paired."""
    if not is_active_person(user) or user.role != Role.VOLUNTEER:
        return False
    try:
        record = user.volunteer_record
    except ObjectDoesNotExist:
        return False
    today = today or timezone.localdate()
    return (
        record.status == VolunteerStatus.ACTIVE
        and record.dbs_expires_on is not None
        and record.dbs_expires_on >= today
    )


def cleared_volunteers_q(*, today: date | None = None, prefix: str = "") -> Q:
    """`is_cleared_volunteer` as a query filter on users (for lists and forms)."""
    today = today or timezone.localdate()
    return Q(
        **{
            f"{prefix}is_active": True,
            f"{prefix}anonymised_at__isnull": True,
            f"{prefix}role": Role.VOLUNTEER,
            f"{prefix}volunteer_record__status": VolunteerStatus.ACTIVE,
            f"{prefix}volunteer_record__dbs_expires_on__gte": today,
        }
    )


def why_not_cleared(user: User, *, today: date | None = None) -> str:
    """In plain words, why a volunteer may not lead or be paired ("" if she may)."""
    if user.role != Role.VOLUNTEER or is_cleared_volunteer(user, today=today):
        return ""
    try:
        record = user.volunteer_record
    except ObjectDoesNotExist:
        return "Her volunteer record hasn't been started."
    if record.status != VolunteerStatus.ACTIVE:
        return f"Her status is “{record.get_status_display().lower()}”."
    if record.dbs_expires_on is None:
        return "No DBS check is recorded."
    return f"Her DBS check expired on {record.dbs_expires_on:%-d %B %Y}."


def why_not_cleared_for_her(user: AnyUser, *, today: date | None = None) -> str:
    """`why_not_cleared` in words for the volunteer herself ("" if she is cleared,
    or not a volunteer): shown where a page she used to have is closed to her."""
    if not is_active_person(user) or user.role != Role.VOLUNTEER:
        return ""
    if is_cleared_volunteer(user, today=today):
        return ""
    try:
        record = user.volunteer_record
    except ObjectDoesNotExist:
        return "Your volunteer record hasn't been started yet."
    if record.status == VolunteerStatus.PAUSED:
        return "Your volunteering is paused at the moment."
    if record.status == VolunteerStatus.LEFT:
        return "Your volunteering with us has ended."
    if record.status in (VolunteerStatus.APPLYING, VolunteerStatus.IN_TRAINING):
        return "Your checks and training aren't finished yet."
    if record.dbs_expires_on is None:
        return "We don't have a DBS check recorded for you yet."
    return f"Your DBS check expired on {record.dbs_expires_on:%-d %B %Y}."


def can_manage_volunteers(user: AnyUser) -> bool:
    """Keep volunteer records: status, checks, training, supervision, handovers."""
    return can_use_staff_pages(user)


def can_view_supervision_notes(user: AnyUser) -> bool:
    return can_use_staff_pages(user)


def can_edit_own_volunteering(user: AnyUser) -> bool:
    """Her languages, availability and lived-experience tags are hers to choose."""
    return is_active_person(user) and user.role == Role.VOLUNTEER


def can_request_debrief(user: AnyUser) -> bool:
    return is_active_person(user) and user.role == Role.VOLUNTEER
