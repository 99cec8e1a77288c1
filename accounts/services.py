"""Writes to accounts: each function owns its transaction and its audit entry."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts import policy
from accounts.audit_actions import AccountsAuditAction
from accounts.consent import HEALTH_DATA_CONSENT_VERSION
from accounts.models import (
    HealthDataConsent,
    Invitation,
    MemberProfile,
    Role,
    SafeguardingDetails,
    Stage,
    User,
    VolunteerRecord,
)
from accounts.revocation import revoke_user_sockets
from audit.services import record_audit

INVITATION_LIFETIME = timedelta(days=14)


class AccountError(Exception):
    """A request that cannot be carried out, with words to show the person."""


@dataclass(frozen=True)
class SafeguardingInput:
    real_name: str
    phone: str
    postcode: str
    gp_practice: str
    emergency_contact_name: str
    emergency_contact_phone: str


def complete_member_signup(
    *,
    user: User,
    display_name: str,
    stage: str,
    due_date: date | None,
    baby_birth_date: date | None,
    referral_source: str,
) -> None:
    """Finish a new member's account: her display name and eligibility profile.

    Call in the same transaction that created `user`. Eligibility has been
    checked by the sign-up's first step. Her private details and consent are
    not asked here: they wait until her address is proven
    (`give_private_details`).
    """
    with transaction.atomic():
        user.display_name = display_name
        user.role = Role.MEMBER
        user.save(update_fields=["display_name", "role"])
        MemberProfile.objects.create(
            user=user,
            stage=stage,
            due_date=due_date if stage == Stage.PREGNANT else None,
            baby_birth_date=baby_birth_date if stage == Stage.BABY else None,
            referral_source=referral_source,
        )


def give_private_details(*, user: User, safeguarding: SafeguardingInput) -> SafeguardingDetails:
    """Store a member's private safeguarding details and her health-data consent.

    Only for a member whose address is verified and who has none yet: the
    details must be hers, entered by her, and are changed afterwards only
    through a coordinator. Raises AccountError otherwise.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not policy.may_give_private_details(user):
            raise AccountError("Your private details are saved already.")
        if not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True):
            raise AccountError("Please confirm your email address first.")
        details = SafeguardingDetails.objects.create(member=user, **safeguarding.__dict__)
        _give_health_consent(user)
    return details


def _give_health_consent(user: User) -> HealthDataConsent:
    consent = HealthDataConsent.objects.create(user=user, version=HEALTH_DATA_CONSENT_VERSION)
    record_audit(
        actor=user,
        action=AccountsAuditAction.HEALTH_CONSENT_GIVEN,
        target=user,
        details={"version": consent.version},
    )
    return consent


def give_health_consent(*, user: User) -> HealthDataConsent:
    """Record consent to the current wording (a new row; earlier ones stay)."""
    with transaction.atomic():
        return _give_health_consent(user)


def withdraw_health_consent(*, user: User) -> int:
    """Withdraw every consent in force; returns how many were withdrawn."""
    with transaction.atomic():
        withdrawn = HealthDataConsent.objects.filter(user=user, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now()
        )
        if withdrawn:
            record_audit(
                actor=user, action=AccountsAuditAction.HEALTH_CONSENT_WITHDRAWN, target=user
            )
    return withdrawn


def update_profile(
    *,
    user: User,
    display_name: str,
    notify_direct_messages: bool,
    notify_session_opens: bool,
    show_online: bool,
) -> None:
    with transaction.atomic():
        user.display_name = display_name
        user.notify_direct_messages = notify_direct_messages
        user.notify_session_opens = notify_session_opens
        user.show_online = show_online
        user.save(
            update_fields=[
                "display_name",
                "notify_direct_messages",
                "notify_session_opens",
                "show_online",
            ]
        )


@dataclass(frozen=True)
class RoleChange:
    """A role change just made: the person (as saved) and the role she had."""

    person: User
    previous: str


def change_role(*, actor: User, person: User, role: str, reason: str) -> RoleChange:
    """Give `person` a new role, recorded in the audit log with the reason.

    Only the person's own record: what a volunteer who stops being one leaves
    (her rooms, 1:1 chats and sessions) is `volunteers.services.change_role`,
    which calls this in its transaction and is what the person page uses.
    """
    if not reason.strip():
        raise AccountError("Please say why the role is changing.")
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        if not policy.can_change_role(actor, person=person, role=role):
            raise PermissionDenied
        previous = person.role
        person.role = role
        person.save(update_fields=["role"])
        if role == Role.VOLUNTEER:
            # A new volunteer starts as "applying": she leads nothing until a
            # coordinator records her checks and makes her active.
            VolunteerRecord.objects.get_or_create(user=person)
        record_audit(
            actor=actor,
            action=AccountsAuditAction.ROLE_CHANGED,
            target=person,
            reason=reason.strip(),
            details={"from": previous, "to": role},
        )
        # What her sockets may see depends on her role: they reconnect afresh.
        revoke_user_sockets(user_id=person.pk, reason="role_changed")
    return RoleChange(person=person, previous=previous)


def invite(
    *, actor: User, email: str, role: str, accept_url_for: Callable[[str], str]
) -> Invitation:
    """Invite someone to join as a volunteer or coordinator.

    `accept_url_for(token)` builds the absolute link; the email is sent after
    commit, so a failed invitation never sends one.
    """
    if not policy.can_manage_people(actor):
        raise PermissionDenied
    if role not in (Role.VOLUNTEER, Role.COORDINATOR):
        raise AccountError("Invitations are for volunteers and coordinators.")
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise AccountError("Someone already has an account with that email address.")
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            token=secrets.token_urlsafe(32),
            invited_by=actor,
            expires_at=timezone.now() + INVITATION_LIFETIME,
        )
        record_audit(
            actor=actor,
            action=AccountsAuditAction.INVITATION_SENT,
            target=invitation,
            details={"role": role},
        )
        link = accept_url_for(invitation.token)
        transaction.on_commit(lambda: _send_invitation(invitation, link))
    return invitation


def _send_invitation(invitation: Invitation, link: str) -> None:
    context = {"link": link, "expires_at": invitation.expires_at}
    send_mail(
        subject=render_to_string("accounts/email/invitation_subject.txt", context).strip(),
        message=render_to_string("accounts/email/invitation_message.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def accept_invitation(*, token: str, display_name: str, password: str) -> User:
    """Create the invited person's account, with her email already verified."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(token=token).first()
        if invitation is None or not invitation.is_usable:
            raise AccountError("This invitation has expired or has been used already.")
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise AccountError("Someone already has an account with that email address.")
        user = User.objects.create_user(
            email=invitation.email,
            password=password,
            display_name=display_name,
            role=invitation.role,
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        if user.role == Role.VOLUNTEER:
            VolunteerRecord.objects.create(user=user)
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_by"])
        record_audit(
            actor=user,
            action=AccountsAuditAction.INVITATION_ACCEPTED,
            target=invitation,
            details={"role": invitation.role},
        )
    return user


def view_safeguarding_details(*, actor: User, member: User, reason: str) -> SafeguardingDetails:
    """Open a member's private details; the access is written to the audit log."""
    if not policy.can_view_safeguarding_details(actor, member=member):
        raise PermissionDenied
    if not reason.strip():
        raise AccountError("Please say why you need these details.")
    with transaction.atomic():
        details = SafeguardingDetails.objects.filter(member=member).first()
        if details is None:
            raise AccountError("This member has not given safeguarding details.")
        record_audit(
            actor=actor,
            action=AccountsAuditAction.SAFEGUARDING_DETAILS_VIEWED,
            target=member,
            reason=reason.strip(),
        )
    return details
