"""Writes to volunteer records: status, checks, training, supervision, debriefs.

Each function owns its transaction and its audit entry. Whether a volunteer
may lead or be paired is decided in `accounts.policy.is_cleared_volunteer`;
anything here that can change that answer closes her sockets, so that they
reconnect with what she may now see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import policy
from accounts import services as account_services
from accounts.models import (
    DebriefRequest,
    ExperienceTag,
    Language,
    Role,
    Supervision,
    Training,
    User,
    VolunteerRecord,
    VolunteerReference,
    VolunteerStatus,
)
from accounts.revocation import revoke_user_sockets
from audit.services import record_audit
from chat.services import LeadPlacesLeft, close_sessions_opened_by, leave_lead_places
from moderation.selectors import open_red_flags_in_rooms_of
from volunteers import notices
from volunteers.audit_actions import VolunteersAuditAction
from volunteers.selectors import debrief_offers

INACTIVE = (VolunteerStatus.PAUSED, VolunteerStatus.LEFT)


class VolunteerError(Exception):
    """A change that cannot be made, with words to show the coordinator."""


def record_for(volunteer: User) -> VolunteerRecord:
    """Her record, started (as "applying") the first time it is needed."""
    record, _ = VolunteerRecord.objects.get_or_create(user=volunteer)
    return record


def _locked_record(actor: User, volunteer: User) -> VolunteerRecord:
    if not policy.can_manage_volunteers(actor):
        raise PermissionDenied
    if volunteer.role != Role.VOLUNTEER:
        raise VolunteerError(f"{volunteer.display_name} isn't a volunteer.")
    record_for(volunteer)
    return VolunteerRecord.objects.select_for_update().get(user=volunteer)


def change_status(*, actor: User, volunteer: User, status: str, reason: str) -> VolunteerRecord:
    """Move her along applying → in training → active, or pause her, or record
    that she left. She cannot become inactive while a RED flag in one of her
    rooms or 1:1 chats is open: someone must see it through first."""
    if status not in VolunteerStatus.values:
        raise VolunteerError("Choose a status.")
    if not reason.strip():
        raise VolunteerError("Please say why her status is changing.")
    with transaction.atomic():
        record = _locked_record(actor, volunteer)
        if record.status == status:
            raise VolunteerError(f"She is already “{record.get_status_display().lower()}”.")
        if status in INACTIVE and open_red_flags_in_rooms_of(volunteer).exists():
            raise VolunteerError(
                f"{volunteer.display_name} has a RED flag open in a room or 1:1 chat she "
                "leads. Please see it through (resolve it in the flags queue) before she "
                "pauses or leaves."
            )
        previous = record.status
        record.status = status
        record.status_changed_at = timezone.now()
        record.save(update_fields=["status", "status_changed_at", "updated_at"])
        record_audit(
            actor=actor,
            action=VolunteersAuditAction.VOLUNTEER_STATUS_CHANGED,
            target=volunteer,
            reason=reason.strip(),
            details={"from": previous, "to": status},
        )
        revoke_user_sockets(user_id=volunteer.pk, reason="role_changed")
        if status != VolunteerStatus.ACTIVE:
            # Paused, left, or back in training: she may no longer lead.
            _close_her_sessions(volunteer)
    return record


def change_role(*, actor: User, person: User, role: str, reason: str) -> LeadPlacesLeft | None:
    """Give `person` a new role (`accounts.services.change_role`: audited, her
    sockets reconnect).

    A volunteer whose role changes leaves every room she led and every 1:1 chat
    she ran, and the sessions she opened close, in the same transaction: returns
    what she left for the coordinator to hand over, or None.
    """
    with transaction.atomic():
        change = account_services.change_role(actor=actor, person=person, role=role, reason=reason)
        if change.previous == Role.VOLUNTEER and role != Role.VOLUNTEER:
            return leave_lead_places(actor=actor, person=change.person, reason=reason.strip())
    return None


def _close_her_sessions(volunteer: User) -> None:
    """A session she opened must not run on after she may no longer lead it. Her
    rooms and 1:1 chats stay on the hand-over list of her record page, where a
    coordinator gives them to someone else; she can neither read nor post in
    them meanwhile (chat.policy.room_access)."""
    close_sessions_opened_by(opener=volunteer)


def record_dbs_check(
    *, actor: User, volunteer: User, checked_on: date, expires_on: date, certificate: str = ""
) -> VolunteerRecord:
    """Record her latest DBS check (earlier ones stay in the audit log)."""
    if checked_on > timezone.localdate():
        raise VolunteerError("The check date can't be in the future.")
    if expires_on <= checked_on:
        raise VolunteerError("The expiry date must be after the check date.")
    with transaction.atomic():
        record = _locked_record(actor, volunteer)
        record.dbs_checked_on = checked_on
        record.dbs_expires_on = expires_on
        record.dbs_certificate = certificate.strip()
        record.save(
            update_fields=["dbs_checked_on", "dbs_expires_on", "dbs_certificate", "updated_at"]
        )
        record_audit(
            actor=actor,
            action=VolunteersAuditAction.DBS_CHECK_RECORDED,
            target=volunteer,
            details={"checked_on": checked_on.isoformat(), "expires_on": expires_on.isoformat()},
        )
        revoke_user_sockets(user_id=volunteer.pk, reason="role_changed")
        if expires_on < timezone.localdate():
            _close_her_sessions(volunteer)
    return record


def set_caseload_cap(*, actor: User, volunteer: User, cap: int | None) -> VolunteerRecord:
    if cap is not None and not 1 <= cap <= 10:
        raise VolunteerError("A caseload is between 1 and 10 active 1:1 chats.")
    with transaction.atomic():
        record = _locked_record(actor, volunteer)
        record.caseload_cap = cap
        record.save(update_fields=["caseload_cap", "updated_at"])
        record_audit(
            actor=actor,
            action=VolunteersAuditAction.VOLUNTEER_CHECKS_CHANGED,
            target=volunteer,
            details={"caseload_cap": cap},
        )
    return record


def _not_in_future(day: date, what: str) -> None:
    if day > timezone.localdate():
        raise VolunteerError(f"The {what} date can't be in the future.")


def add_training(*, actor: User, volunteer: User, course: str, completed_on: date) -> Training:
    _not_in_future(completed_on, "completion")
    if not course.strip():
        raise VolunteerError("Please name the course.")
    with transaction.atomic():
        _locked_record(actor, volunteer)
        training = Training.objects.create(
            volunteer=volunteer, course=course.strip(), completed_on=completed_on, recorded_by=actor
        )
        record_audit(
            actor=actor,
            action=VolunteersAuditAction.TRAINING_RECORDED,
            target=volunteer,
            details={"course": training.course, "completed_on": completed_on.isoformat()},
        )
    return training


def add_reference(
    *,
    actor: User,
    volunteer: User,
    referee_name: str,
    relationship: str,
    received_on: date,
    satisfactory: bool,
) -> VolunteerReference:
    _not_in_future(received_on, "received")
    with transaction.atomic():
        _locked_record(actor, volunteer)
        reference = VolunteerReference.objects.create(
            volunteer=volunteer,
            referee_name=referee_name.strip(),
            relationship=relationship.strip(),
            received_on=received_on,
            satisfactory=satisfactory,
            recorded_by=actor,
        )
        record_audit(
            actor=actor,
            action=VolunteersAuditAction.REFERENCE_RECORDED,
            target=volunteer,
            details={"satisfactory": satisfactory},
        )
    return reference


def add_supervision(
    *, actor: User, volunteer: User, held_on: date, supervisor: User, note: str = ""
) -> Supervision:
    """A supervision session; its note is for coordinators only (never in the audit log)."""
    _not_in_future(held_on, "supervision")
    with transaction.atomic():
        _locked_record(actor, volunteer)
        supervision = Supervision.objects.create(
            volunteer=volunteer,
            held_on=held_on,
            supervisor=supervisor,
            note=note.strip(),
            recorded_by=actor,
        )
        record_audit(
            actor=actor,
            action=VolunteersAuditAction.SUPERVISION_RECORDED,
            target=volunteer,
            details={"held_on": held_on.isoformat()},
        )
    return supervision


@dataclass(frozen=True)
class OwnVolunteering:
    languages: list[str]
    experience_tags: list[str]
    availability: str


def update_own_volunteering(*, volunteer: User, choices: OwnVolunteering) -> VolunteerRecord:
    """What she chooses to share for matching: languages, lived experience, availability."""
    if not policy.can_edit_own_volunteering(volunteer):
        raise PermissionDenied
    unknown = (set(choices.languages) - set(Language.values)) | (
        set(choices.experience_tags) - set(ExperienceTag.values)
    )
    if unknown:
        raise VolunteerError("Choose from the lists shown.")
    with transaction.atomic():
        record_for(volunteer)
        record = VolunteerRecord.objects.select_for_update().get(user=volunteer)
        record.languages = sorted(set(choices.languages))
        record.experience_tags = sorted(set(choices.experience_tags))
        record.availability = choices.availability.strip()
        record.save(update_fields=["languages", "experience_tags", "availability", "updated_at"])
    return record


# --- debriefs --------------------------------------------------------------------------


def answer_debrief_offer(
    *, volunteer: User, flag_id: int, wanted: bool, note: str = ""
) -> DebriefRequest:
    """Her answer to the offer made after a RED flag in her room: a request that
    reaches every coordinator, or "not now" (so the offer is not made again)."""
    if not policy.can_request_debrief(volunteer):
        raise PermissionDenied
    offered = {flag.pk for flag in debrief_offers(volunteer=volunteer)}
    if flag_id not in offered:
        raise VolunteerError("That offer has already been answered or has passed.")
    try:
        with transaction.atomic():
            request = DebriefRequest.objects.create(
                volunteer=volunteer, flag_id=flag_id, note=note.strip(), declined=not wanted
            )
            if wanted:
                record_audit(
                    actor=volunteer, action=VolunteersAuditAction.DEBRIEF_REQUESTED, target=request
                )
                notices.debrief_request_on_commit()
    except IntegrityError:
        raise VolunteerError("That offer has already been answered.") from None
    return request


def mark_debrief_handled(*, actor: User, request_id: int) -> DebriefRequest:
    if not policy.can_manage_volunteers(actor):
        raise PermissionDenied
    with transaction.atomic():
        request = DebriefRequest.objects.select_for_update().get(pk=request_id, declined=False)
        if request.handled_at is None:
            request.handled_at = timezone.now()
            request.handled_by = actor
            request.save(update_fields=["handled_at", "handled_by"])
            record_audit(actor=actor, action=VolunteersAuditAction.DEBRIEF_HANDLED, target=request)
    return request
