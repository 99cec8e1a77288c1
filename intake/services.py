"""Writes to referrals: each function owns its transaction and its audit entry.

Every step of a referral is one audit entry whose target is the referral (its
timeline on the triage page). Audit details carry slugs and dates only, never
names, contact details or what the referral says about her. Emails go out
after the commit, so a rolled-back step sends nothing.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import constant_time_compare

import notify
from accounts.models import MemberProfile, User
from accounts.selectors import active_coordinators
from audit.services import record_audit
from intake import policy
from intake.audit_actions import IntakeAuditAction
from intake.models import Referral
from intake.screen import SCREEN_CATEGORIES, SCREEN_QUESTIONS
from intake.selectors import (
    join_code_failures_key,
    join_code_for,
    referral_rate_key,
    urgent_self_referral_rate_key,
)
from moderation.services import flag_referral

log = logging.getLogger("village.intake")

RATE_WINDOW_SECONDS = 60 * 60


class ReferralError(Exception):
    """A step that cannot be taken, with words to show the coordinator."""


@dataclass(frozen=True)
class ReferralDetails:
    """What the public form collected, already validated."""

    referrer_role: str
    mum_name: str
    mum_email: str
    stage: str
    support_wanted: str
    reason: str
    consent_contact: bool
    consent_data: bool
    consent_given_by: str
    referrer_name: str = ""
    referrer_organisation: str = ""
    referrer_email: str = ""
    referrer_phone: str = ""
    mum_phone: str = ""
    due_date: date | None = None
    baby_birth_date: date | None = None
    language: str = "en"
    interpreter_needed: bool = False
    experience_wanted: list[str] = field(default_factory=list)
    consent_share_outcome: bool = False
    screen_suicide_plan: bool = False
    screen_psychosis: bool = False
    screen_baby_harm: bool = False
    screen_unsafe_at_home: bool = False
    # The form's one-time token (intake.forms): the same token stores one referral.
    submission_token: str | None = None

    @property
    def screen_yes(self) -> list[str]:
        """The screen's fields answered yes, in the order the form asks them."""
        return [name for name, _question in SCREEN_QUESTIONS if getattr(self, name)]


# --- the public form ---------------------------------------------------------------


def submit_referral(*, details: ReferralDetails, eligible: bool) -> Referral:
    """Store a referral from the public form.

    A "yes" on the safety screen makes it urgent (RED) and puts a RED flag on
    the coordinators' queue in the same transaction (announced live, emailed
    after the commit). Someone not eligible is stored only when the screen
    said yes; the caller keeps everyone else's details out of the database.

    Idempotent per `details.submission_token`: the form sent twice (a double
    click, a resend) returns the first referral and stores, flags and audits
    nothing more, also when the two arrive at once.
    """
    if not details.consent_contact or not details.consent_data:
        raise ReferralError("A referral needs her consent to be contacted and to keep her details.")
    screen_yes = details.screen_yes
    if not eligible and not screen_yes:
        raise ReferralError("A referral for someone not eligible is not kept.")
    token = details.submission_token
    if token:
        earlier = Referral.objects.filter(submission_token=token).first()
        if earlier is not None:
            return earlier
    try:
        return _store_referral(details=details, eligible=eligible, screen_yes=screen_yes)
    except IntegrityError:
        # The same form sent twice at once: the other request stored it first.
        earlier = Referral.objects.filter(submission_token=token).first() if token else None
        if earlier is None:
            raise
        return earlier


def _store_referral(*, details: ReferralDetails, eligible: bool, screen_yes: list[str]) -> Referral:
    with transaction.atomic():
        referral = Referral.objects.create(
            **asdict(details),
            eligible=eligible,
            urgency=Referral.Urgency.RED if screen_yes else Referral.Urgency.ROUTINE,
        )
        record_audit(
            actor=None,
            action=IntakeAuditAction.REFERRAL_SUBMITTED,
            target=referral,
            details={
                "referrer_role": referral.referrer_role,
                "urgent": bool(screen_yes),
                "eligible": eligible,
                "screen_yes": screen_yes,
            },
        )
        if screen_yes:
            questions = dict(SCREEN_QUESTIONS)
            flag_referral(
                referral=referral,
                category=SCREEN_CATEGORIES[screen_yes[0]],
                detail="Safety screen answered yes: "
                + " ".join(questions[name] for name in screen_yes),
            )
    return referral


def take_referral_slot(*, client_address: str) -> bool:
    """Count one referral from this address; False when it is over the hourly limit.

    The hour starts with the address's first referral. A cache that is down
    lets the referral through: refusing a real referral is worse than spam.
    """
    return _take_address_slot(
        key=referral_rate_key(client_address),
        limit=settings.VILLAGE_REFERRALS_PER_ADDRESS_PER_HOUR,
        window_seconds=RATE_WINDOW_SECONDS,
        what="referral rate limit",
    )


def _take_address_slot(*, key: str, limit: int, window_seconds: int, what: str) -> bool:
    """Count one use under `key`; False once more than `limit` fall in the window.

    The window starts with the first use. A cache that is down lets the use
    through: refusing a real referral is worse than spam.
    """
    try:
        for _attempt in range(2):
            cache.add(key, 0, timeout=window_seconds)
            try:
                return cache.incr(key) <= limit
            except ValueError:  # expired between add and incr: start again
                continue
    except Exception:  # noqa: BLE001 - any cache failure fails open
        log.warning("%s unavailable; letting the referral through", what)
    return True


URGENT_SELF_REFERRAL_WINDOW_SECONDS = 24 * 60 * 60


def take_urgent_self_referral_slot(*, client_address: str) -> bool:
    """Count one self-referral that said "yes" on the safety screen from this address;
    False when the address is over its daily limit.

    Each such referral pages every coordinator (a RED flag), so one address
    may raise only VILLAGE_URGENT_SELF_REFERRALS_PER_ADDRESS_PER_DAY of them;
    beyond that the page still shows her the crisis steps, and nothing is
    raised. A cache that is down lets the referral through, as above.
    """
    return _take_address_slot(
        key=urgent_self_referral_rate_key(client_address),
        limit=settings.VILLAGE_URGENT_SELF_REFERRALS_PER_ADDRESS_PER_DAY,
        window_seconds=URGENT_SELF_REFERRAL_WINDOW_SECONDS,
        what="urgent self-referral limit",
    )


# --- triage ------------------------------------------------------------------------


def _referral_for(*, actor: User, referral_id: int, action: str) -> Referral:
    """The referral, locked for this transaction, if `action` may be taken on it now."""
    if not policy.can_triage(actor):
        raise PermissionDenied
    referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
    if referral is None:
        raise ReferralError("There is no such referral.")
    if not policy.action_allowed(referral=referral, action=action):
        raise ReferralError(policy.why_not(referral=referral, action=action))
    return referral


def _decide(referral: Referral, *, actor: User, status: str) -> datetime:
    """Mark the referral decided by `actor` now; returns when."""
    referral.status = status
    referral.decided_at = decided_at = timezone.now()
    referral.decided_by = actor
    return decided_at


def accept_referral(
    *, actor: User, referral_id: int, join_url_for: Callable[[str], str]
) -> Referral:
    """Offer her a place: a sign-up link, emailed to her (discreetly).

    The link works for VILLAGE_REFERRAL_INVITATION_DAYS days. With her consent,
    and when a professional referred her, the referrer is told she has been
    invited (nothing more). Raises ReferralError when already decided.
    """
    with transaction.atomic():
        referral = _referral_for(actor=actor, referral_id=referral_id, action=policy.ACCEPT)
        decided_at = _decide(referral, actor=actor, status=Referral.Status.ACCEPTED)
        referral.invitation_token = secrets.token_urlsafe(32)
        referral.invitation_expires_at = expires_at = decided_at + timedelta(
            days=settings.VILLAGE_REFERRAL_INVITATION_DAYS
        )
        referral.save(
            update_fields=[
                "status",
                "decided_at",
                "decided_by",
                "invitation_token",
                "invitation_expires_at",
            ]
        )
        record_audit(
            actor=actor,
            action=IntakeAuditAction.REFERRAL_ACCEPTED,
            target=referral,
            details={"invitation_expires": expires_at.date().isoformat()},
        )
        _email_on_commit(
            to=referral.mum_email,
            template="invitation",
            context={
                "link": join_url_for(referral.invitation_token),
                "expires_at": referral.invitation_expires_at,
            },
        )
        _tell_referrer_outcome(referral, actor=actor, outcome="accepted")
    return referral


def request_information(*, actor: User, referral_id: int, note: str) -> Referral:
    """Ask for what is missing: emailed to the referrer (to her, for a self-referral).

    Replies go to the coordinator who asked. The note is kept on the referral
    and in the audit entry's reason.
    """
    note = note.strip()
    if not note:
        raise ReferralError("Please say what you need to know.")
    with transaction.atomic():
        referral = _referral_for(actor=actor, referral_id=referral_id, action=policy.REQUEST_INFO)
        to = referral.mum_email if referral.is_self_referral else referral.referrer_email
        if not to:
            raise ReferralError("There is no email address for the person who referred her.")
        referral.status = Referral.Status.INFO_REQUESTED
        referral.info_request = note
        referral.save(update_fields=["status", "info_request"])
        record_audit(
            actor=actor,
            action=IntakeAuditAction.REFERRAL_INFO_REQUESTED,
            target=referral,
            reason=note,
            details={"asked": "mum" if referral.is_self_referral else "referrer"},
        )
        _email_on_commit(
            to=to,
            template="info_request_mum" if referral.is_self_referral else "info_request_referrer",
            context={"referral": referral, "note": note, **_reference(referral)},
            reply_to=actor.email,
        )
    return referral


def record_information_received(*, actor: User, referral_id: int, note: str) -> Referral:
    """The answer came back: the referral returns to the triage list as new."""
    note = note.strip()
    if not note:
        raise ReferralError("Please note what you heard back.")
    with transaction.atomic():
        referral = _referral_for(actor=actor, referral_id=referral_id, action=policy.INFO_RECEIVED)
        referral.status = Referral.Status.NEW
        referral.save(update_fields=["status"])
        record_audit(
            actor=actor,
            action=IntakeAuditAction.REFERRAL_INFO_RECEIVED,
            target=referral,
            reason=note,
        )
    return referral


def put_on_waiting_list(*, actor: User, referral_id: int) -> Referral:
    """No place just now: she waits, and the list shows for how long.

    A referral that was on the list before (and left it while more
    information was asked for) keeps its first date: she does not lose her
    place in the line.
    """
    with transaction.atomic():
        referral = _referral_for(actor=actor, referral_id=referral_id, action=policy.WAITLIST)
        referral.status = Referral.Status.WAITING
        referral.waiting_since = referral.waiting_since or timezone.now()
        referral.save(update_fields=["status", "waiting_since"])
        record_audit(
            actor=actor,
            action=IntakeAuditAction.REFERRAL_WAITLISTED,
            target=referral,
            details={"waiting_since": referral.waiting_since.date().isoformat()},
        )
    return referral


def decline_referral(*, actor: User, referral_id: int, reason: str, signposting: str) -> Referral:
    """Decline, never silently: she is emailed where else to find support.

    `reason` is internal (kept on the referral and in the audit entry);
    `signposting` is what she reads. With her consent, a professional who
    referred her is told the outcome and the signposting too.
    """
    reason, signposting = reason.strip(), signposting.strip()
    if not reason:
        raise ReferralError("Please give the reason for declining (it stays internal).")
    if not signposting:
        raise ReferralError("Please tell her where else she can find support.")
    with transaction.atomic():
        referral = _referral_for(actor=actor, referral_id=referral_id, action=policy.DECLINE)
        _decide(referral, actor=actor, status=Referral.Status.DECLINED)
        referral.decline_reason = reason
        referral.signposting = signposting
        referral.save(
            update_fields=["status", "decided_at", "decided_by", "decline_reason", "signposting"]
        )
        record_audit(
            actor=actor, action=IntakeAuditAction.REFERRAL_DECLINED, target=referral, reason=reason
        )
        _email_on_commit(
            to=referral.mum_email, template="signposting", context={"signposting": signposting}
        )
        _tell_referrer_outcome(referral, actor=actor, outcome="declined")
    return referral


def _tell_referrer_outcome(referral: Referral, *, actor: User, outcome: str) -> None:
    """With her consent, tell the professional who referred her (never for a self-referral)."""
    if (
        referral.is_self_referral
        or not referral.consent_share_outcome
        or not referral.referrer_email
    ):
        return
    _email_on_commit(
        to=referral.referrer_email,
        template="outcome_referrer",
        context={"referral": referral, "outcome": outcome, **_reference(referral)},
    )
    record_audit(
        actor=actor,
        action=IntakeAuditAction.REFERRER_TOLD_OUTCOME,
        target=referral,
        details={"outcome": outcome},
    )


# --- her sign-up -------------------------------------------------------------------


def record_signup(*, referral_id: int, user: User) -> Referral | None:
    """She signed up through the referral's link: link her account and copy what
    the referral knew about her (referral source, language, the support she
    wants) onto her profile.

    Called from the `user_signed_up` signal; returns None (and changes
    nothing) when the referral is gone or no longer waiting for her to join,
    so that her sign-up itself never fails because of it.
    """
    with transaction.atomic():
        referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
        if referral is None or referral.status != Referral.Status.ACCEPTED or referral.member_id:
            log.warning("sign-up from referral %s that is not waiting for her", referral_id)
            return None
        if not policy.referral_may_join_account(referral=referral, user=user):
            # Nothing of hers goes to an account for another (or unproven) address.
            _tell_coordinators_about_link(
                referral,
                what="other_address",
                reason="Someone used her sign-up link to make an account for another email "
                "address. Her referral was not linked to it. Please check with her, "
                "discreetly.",
            )
            return None
        profile = MemberProfile.objects.filter(user=user).first()
        if profile is not None:
            profile.referral_source = referral.referrer_role
            profile.language = referral.language
            profile.interpreter_needed = referral.interpreter_needed
            profile.support_wanted = referral.support_wanted
            profile.experience_wanted = list(referral.experience_wanted)
            profile.save(
                update_fields=[
                    "referral_source",
                    "language",
                    "interpreter_needed",
                    "support_wanted",
                    "experience_wanted",
                ]
            )
        referral.member = user
        referral.status = Referral.Status.JOINED
        referral.save(update_fields=["member", "status"])
        record_audit(
            actor=user,
            action=IntakeAuditAction.REFERRAL_JOINED,
            target=referral,
            details={"member_id": user.pk},
        )
    return referral


@dataclass(frozen=True)
class JoinCodeCheck:
    """What her link's short code check decided."""

    accepted: bool
    tries_left: int = 0
    locked: bool = False


def check_join_code(*, referral_id: int, code: str) -> JoinCodeCheck:
    """Check the short code typed at her sign-up link.

    After VILLAGE_REFERRAL_JOIN_CODE_ATTEMPTS wrong codes the link is locked
    (it expires now) and the coordinators are told. When the failures cannot
    be counted (the cache is down) no code is accepted: guessing must stay
    slow.
    """
    referral = Referral.objects.filter(pk=referral_id).first()
    if referral is None or not referral.invitation_is_usable:
        return JoinCodeCheck(accepted=False, locked=True)
    limit = settings.VILLAGE_REFERRAL_JOIN_CODE_ATTEMPTS
    key = join_code_failures_key(referral.pk)
    try:
        failures = cache.get(key, 0)
    except Exception:  # noqa: BLE001 - counted or not at all
        log.warning("join code attempts cannot be counted; refusing the code for now")
        return JoinCodeCheck(accepted=False, tries_left=1)
    if failures >= limit:
        return JoinCodeCheck(accepted=False, locked=True)
    typed = "".join(ch for ch in code if ch.isdigit())
    if constant_time_compare(typed, join_code_for(referral)):
        return JoinCodeCheck(accepted=True)
    try:
        cache.add(key, 0, timeout=settings.VILLAGE_REFERRAL_INVITATION_DAYS * 24 * 60 * 60)
        failures = cache.incr(key)
    except Exception:  # noqa: BLE001
        failures = limit
    if failures < limit:
        return JoinCodeCheck(accepted=False, tries_left=limit - failures)
    with transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        locked.invitation_expires_at = timezone.now()
        locked.save(update_fields=["invitation_expires_at"])
        _tell_coordinators_about_link(
            locked,
            what="code_locked",
            reason=f"A wrong code was typed {limit} times at her sign-up link, so the link "
            "is locked. Please call her, discreetly, and send her a new invitation.",
        )
    return JoinCodeCheck(accepted=False, locked=True)


def tell_coordinators_link_used_again(*, referral_id: int) -> None:
    """Her link was opened after she joined: she, or someone who reads her email."""
    with transaction.atomic():
        referral = Referral.objects.filter(pk=referral_id).first()
        if referral is not None:
            _tell_coordinators_about_link(
                referral,
                what="used_again",
                reason="Her sign-up link was opened again after she joined. If it wasn't "
                "her, someone may be reading her email: please check with her, discreetly.",
            )


def _tell_coordinators_about_link(referral: Referral, *, what: str, reason: str) -> None:
    """A notice on the referral's timeline and a discreet email to the coordinators.

    At most one of each kind per referral an hour: someone reloading a link
    must not flood the timeline or the coordinators' inboxes. Call in a
    transaction (the email goes after the commit).
    """
    try:
        fresh = cache.add(f"intake:link-notice:{referral.pk}:{what}", 1, timeout=60 * 60)
    except Exception:  # noqa: BLE001 - a notice too many beats none
        fresh = True
    if not fresh:
        return
    record_audit(
        actor=None,
        action=IntakeAuditAction.REFERRAL_LINK_NOTICE,
        target=referral,
        reason=reason,
        details={"what": what},
    )
    notify.email_on_commit(people=active_coordinators, kind="referral_link_notice")


# --- email -------------------------------------------------------------------------


def _reference(referral: Referral) -> dict:
    """How an email to a referrer names the referral: number, date, her initials."""
    initials = "".join(f"{part[0]}." for part in referral.mum_name.split() if part)
    return {
        "reference": referral.pk,
        "sent_on": timezone.localtime(referral.created_at).date(),
        "initials": initials.upper(),
    }


def _email_on_commit(*, to: str, template: str, context: dict, reply_to: str = "") -> None:
    """Send templates/intake/email/<template>_{subject,message}.txt after the commit.

    A mail server that fails is logged, not raised: the step itself is done.
    """
    subject = render_to_string(f"intake/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"intake/email/{template}_message.txt", context)
    message = EmailMessage(
        subject=subject, body=body, to=[to], reply_to=[reply_to] if reply_to else None
    )

    def send() -> None:
        try:
            message.send()
        except Exception:  # noqa: BLE001 - logged; the referral step has committed
            log.exception("a referral email (%s) could not be sent", template)

    transaction.on_commit(send)
