"""A person's data rights (UK GDPR): a copy of her data, and closing her account.

Accounts are anonymised in place, never deleted: the audit log and the
rooms' histories keep their references. What an open safeguarding flag holds
(the flagged messages, her safeguarding details) is kept until the flag is
resolved; everything else that identifies her, or that she wrote, is removed.
"""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from accounts.audit_actions import AccountsAuditAction
from accounts.models import HealthDataConsent, MemberProfile, SafeguardingDetails, User
from accounts.revocation import revoke_user_sockets
from audit.services import record_audit
from chat.models import Membership, Message, Pairing, Room
from intake.models import Referral
from moderation.models import Flag
from moderation.selectors import labels_for_export
from moderation.services import forget_labels_about
from outcomes.models import Feedback, Questionnaire

FORMER_MEMBER = "A former member"


def export_data(*, user: User) -> dict[str, Any]:
    """Everything Village holds about her that she may have, as plain data."""
    profile = MemberProfile.objects.filter(user=user).first()
    details = SafeguardingDetails.objects.filter(member=user).first()
    messages = Message.objects.filter(author=user).select_related("room").order_by("created_at")
    with transaction.atomic():
        record_audit(actor=user, action=AccountsAuditAction.DATA_EXPORTED, target=user)
    return {
        "exported_at": timezone.now().isoformat(),
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "joined": user.date_joined.isoformat(),
            "notify_direct_messages": user.notify_direct_messages,
            "notify_session_opens": user.notify_session_opens,
            "show_online": user.show_online,
        },
        "profile": None
        if profile is None
        else {
            "stage": profile.stage,
            "due_date": profile.due_date.isoformat() if profile.due_date else None,
            "baby_birth_date": profile.baby_birth_date.isoformat()
            if profile.baby_birth_date
            else None,
            "referral_source": profile.referral_source,
        },
        "safeguarding_details": None
        if details is None
        else {
            "real_name": details.real_name,
            "phone": details.phone,
            "postcode": details.postcode,
            "gp_practice": details.gp_practice,
            "emergency_contact_name": details.emergency_contact_name,
            "emergency_contact_phone": details.emergency_contact_phone,
        },
        "health_data_consents": [
            {
                "version": c.version,
                "given_at": c.given_at.isoformat(),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
            }
            for c in HealthDataConsent.objects.filter(user=user).order_by("given_at")
        ],
        "messages": [
            {
                "room": m.room.name,
                "written_at": m.created_at.isoformat(),
                "text": m.body,
                "status": m.status,
            }
            for m in messages
        ],
        # The coordinators' verdicts on what screening did with her messages
        # (kept to retrain it here): what and when, never who.
        "labels_on_my_messages": labels_for_export(user),
        "referral": _referral(user),
        "questionnaires": [
            {
                "measure": q.measure,
                "version": q.version,
                "occasion": q.occasion,
                "answered_at": q.completed_at.isoformat(),
                "total": q.total,
                "subscales": q.subscale_scores,
                "band": q.band,
                "answers": {a.item: a.score for a in q.answers.all()},
            }
            for q in Questionnaire.objects.filter(member=user, completed_at__isnull=False)
            .prefetch_related("answers")
            .order_by("completed_at")
        ],
        "feedback": [
            {
                "answered_at": f.completed_at.isoformat(),
                **{name: getattr(f, name) for name, _ in Feedback.STATEMENTS},
                "recommend": f.recommend,
                "comment": f.comment,
                "comment_shareable": f.comment_shareable,
            }
            for f in Feedback.objects.filter(member=user, completed_at__isnull=False).order_by(
                "completed_at"
            )
        ],
    }


def _referral(user: User) -> dict[str, Any] | None:
    """That a referral brought her, and when: never what it says.

    A referral is the referrer's words about her (her name, phone, the
    reason, the safety screen's answers): someone else holding her account,
    or reading over her shoulder, must not get them from a download. Her own
    answers are in the rest of the export; the referral itself she can ask
    the service for, which can then check who is asking.
    """
    referral = Referral.objects.filter(member=user).first()
    if referral is None:
        return None
    return {
        "received_at": referral.created_at.isoformat(),
        "note": "A referral brought you to Village. What it says was written by the person "
        "who referred you: to see it, please ask the service.",
    }


def close_account(*, user: User) -> None:
    """Close her account: anonymise it in place and remove her words.

    Her sockets close at once; she can no longer log in. Messages under an
    open safeguarding flag, and her safeguarding details while such a flag
    is open, are kept for the coordinators until it is resolved.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        held_ids = set(
            Flag.objects.filter(
                subject=user, resolved_at__isnull=True, message__isnull=False
            ).values_list("message_id", flat=True)
        )
        open_concern = Flag.objects.filter(subject=user, resolved_at__isnull=True).exists()
        Message.objects.filter(author=user).exclude(pk__in=held_ids).update(
            body="", status=Message.Status.DELETED
        )
        # The coordinators' verdicts on her messages go with her words, also on
        # a message an open flag keeps: nothing of hers trains the model.
        forget_labels_about(member=user)
        if not open_concern:
            SafeguardingDetails.objects.filter(member=user).update(
                real_name="",
                phone="",
                postcode="",
                gp_practice="",
                emergency_contact_name="",
                emergency_contact_phone="",
            )
        MemberProfile.objects.filter(user=user).update(due_date=None, baby_birth_date=None)
        if not open_concern:
            # What her referral says about her identifies her; the referral
            # itself stays (anonymous) for the service's counts.
            Referral.objects.filter(member=user).update(
                mum_name=FORMER_MEMBER, mum_email="", mum_phone="", reason=""
            )
        Feedback.objects.filter(member=user).update(comment="", comment_shareable=False)
        placeholder = f"former-{user.pk}-{secrets.token_hex(4)}@closed.invalid"
        EmailAddress.objects.filter(user=user).update(
            email=placeholder, verified=False, primary=False
        )
        Membership.objects.filter(user=user, removed_at__isnull=True).update(
            removed_at=timezone.now()
        )
        user.email = placeholder
        user.display_name = FORMER_MEMBER
        user.is_active = False
        user.anonymised_at = timezone.now()
        user.notify_direct_messages = user.notify_session_opens = user.show_online = False
        user.set_unusable_password()
        user.save()
        # A 1:1 chat is named after the pair when it is made (chat.services
        # _direct_room_name), so her old name would stay on her volunteer's
        # room list and chat page: name it after what she is now.
        for pairing in Pairing.objects.filter(member=user).select_related("room", "volunteer"):
            room = pairing.room
            room.name = f"{FORMER_MEMBER} & {pairing.volunteer.display_name}"[
                : Room._meta.get_field("name").max_length
            ]
            room.save(update_fields=["name"])
        record_audit(
            actor=user,
            action=AccountsAuditAction.ACCOUNT_CLOSED,
            target=user,
            details={"messages_kept_for_open_flags": len(held_ids)},
        )
        revoke_user_sockets(user_id=user.pk, reason="account_closed")
