"""Writes to outcome measures: planning what is asked, her answers, the wording.

`plan_questionnaires` is a periodic job (village.periodic) with the caller's
clock: a baseline when she starts, a follow-up every N weeks, and at an end
(a pairing's planned ending, or leaving a group room) the measures again and
the feedback survey.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Role, User
from audit.services import record_audit
from chat.models import Membership, Pairing, Room
from moderation.audit_actions import ModerationAuditAction
from moderation.services import flag_questionnaire_risk
from outcomes import policy
from outcomes.measures import BUILT_IN, Scored, measure, score
from outcomes.models import (
    Agreement,
    Answer,
    Feedback,
    MeasureWording,
    Occasion,
    OutcomeSettings,
    Questionnaire,
)
from outcomes.selectors import measures_in_use, outcome_settings, wording

# Ends older than this when first seen are not asked about (no flood of old ends).
END_LOOKBACK = timedelta(days=30)


class OutcomeError(Exception):
    """A request that cannot be carried out, with words to show the person."""


# --- planning --------------------------------------------------------------------------


def _members_in_service() -> QuerySet[User]:
    """Members who are in a group room or a 1:1 now."""
    in_group = Membership.objects.filter(
        user=OuterRef("pk"), removed_at__isnull=True, room__kind="group"
    )
    paired = Pairing.objects.filter(member=OuterRef("pk"), ended_at__isnull=True)
    return User.objects.filter(
        Exists(in_group) | Exists(paired),
        role=Role.MEMBER,
        is_active=True,
        anonymised_at__isnull=True,
    )


def _current_pairing(member: User) -> Pairing | None:
    return Pairing.objects.filter(member=member, ended_at__isnull=True).first()


def _ask(
    member: User,
    slug: str,
    occasion: str,
    *,
    now: datetime,
    pairing: Pairing | None = None,
    room: Room | None = None,
) -> bool:
    """Ask one measure (or turn her open one into this occasion); False if already asked."""
    open_one = Questionnaire.objects.filter(
        member=member, measure=slug, completed_at__isnull=True
    ).first()
    if open_one is not None:
        if occasion != Occasion.END or open_one.occasion == Occasion.BASELINE:
            return False
        # An end replaces a follow-up she has not answered yet.
        open_one.occasion, open_one.pairing, open_one.room = occasion, pairing, room
        open_one.due_at = now
        open_one.save(update_fields=["occasion", "pairing", "room", "due_at"])
        return True
    try:
        with transaction.atomic():
            Questionnaire.objects.create(
                member=member,
                measure=slug,
                version=BUILT_IN[slug].version,
                occasion=occasion,
                pairing=pairing,
                room=room,
                due_at=now,
            )
    except IntegrityError:
        return False
    return True


def plan_questionnaires(*, now: datetime) -> int:
    """Ask what is due at `now`; returns how many questionnaires and surveys it asked."""
    in_use = [m.slug for m in measures_in_use()]
    interval = timedelta(weeks=outcome_settings().follow_up_weeks)
    asked = 0
    for member in _members_in_service():
        pairing = _current_pairing(member)
        for slug in in_use:
            history = Questionnaire.objects.filter(member=member, measure=slug)
            if not history.filter(occasion=Occasion.BASELINE).exists():
                asked += _ask(member, slug, Occasion.BASELINE, now=now, pairing=pairing)
                continue
            last_done_at = history.aggregate(Max("completed_at"))["completed_at__max"]
            if last_done_at is not None and last_done_at + interval <= now:
                asked += _ask(member, slug, Occasion.FOLLOW_UP, now=now, pairing=pairing)
    return asked + _plan_ends(in_use, now=now)


def _plan_ends(in_use: list[str], *, now: datetime) -> int:
    asked = 0
    today = timezone.localdate(now)
    pairings = Pairing.objects.filter(
        Q(ended_at__isnull=True, planned_end__lte=today)
        | Q(ended_at__gte=now - END_LOOKBACK, ended_at__lte=now)
    ).select_related("member")
    for pairing in pairings:
        if pairing.planned_end and pairing.planned_end < today - END_LOOKBACK:
            continue
        asked += _ask_at_end(pairing.member, in_use, now=now, pairing=pairing)
    left = Membership.objects.filter(
        role=Membership.Role.MEMBER,
        room__kind="group",
        removed_at__gte=now - END_LOOKBACK,
        removed_at__lte=now,
    ).select_related("user", "room")
    for membership in left:
        asked += _ask_at_end(membership.user, in_use, now=now, room=membership.room)
    return asked


def _ask_at_end(
    member: User,
    in_use: list[str],
    *,
    now: datetime,
    pairing: Pairing | None = None,
    room: Room | None = None,
) -> int:
    """At an end: each measure once more and the feedback survey, once per end."""
    if member.anonymised_at is not None or not member.is_active or member.role != Role.MEMBER:
        return 0
    already = (
        Feedback.objects.filter(member=member, pairing=pairing, room=room).exists()
        or Questionnaire.objects.filter(
            member=member, occasion=Occasion.END, pairing=pairing, room=room
        ).exists()
    )
    if already:
        return 0
    asked = sum(
        _ask(member, slug, Occasion.END, now=now, pairing=pairing, room=room)
        for slug in in_use
        if Questionnaire.objects.filter(member=member, measure=slug).exists()
    )
    Feedback.objects.create(member=member, pairing=pairing, room=room, due_at=now)
    return asked + 1


def ask_before_leaving(*, member: User, now: datetime | None = None) -> Feedback:
    """She is leaving the service: the end questionnaires and the feedback survey,
    due now (once; asking again returns the same survey)."""
    if not policy.can_answer_questionnaires(member):
        raise PermissionDenied
    now = now or timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().get(pk=member.pk)
        _ask_at_end(member, [m.slug for m in measures_in_use()], now=now)
        return Feedback.objects.filter(member=member, pairing=None, room=None).latest("due_at")


# --- her answers ------------------------------------------------------------------------


_Answerable = TypeVar("_Answerable", Questionnaire, Feedback)


def _open_for(member: User, model: type[_Answerable], pk: int | None) -> _Answerable:
    """Her unanswered questionnaire or survey `pk`, locked (no `pk`: none is open)."""
    if not policy.can_answer_questionnaires(member):
        raise PermissionDenied
    row = (
        model.objects.select_for_update().filter(pk=pk, member=member).first()
        if pk is not None
        else None
    )
    if row is None or row.completed_at is not None:
        raise OutcomeError("This has already been answered. Thank you.")
    return row


def postpone(
    *,
    member: User,
    questionnaire_id: int | None = None,
    feedback_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """ "Not now": asked again after VILLAGE_OUTCOME_POSTPONE_DAYS."""
    now = now or timezone.now()
    until = now + timedelta(days=settings.VILLAGE_OUTCOME_POSTPONE_DAYS)
    row: Questionnaire | Feedback
    with transaction.atomic():
        if questionnaire_id is not None:
            row = _open_for(member, Questionnaire, questionnaire_id)
        else:
            row = _open_for(member, Feedback, feedback_id)
        row.postponed_until = until
        row.save(update_fields=["postponed_until"])


@dataclass(frozen=True)
class Completed:
    questionnaire: Questionnaire
    scored: Scored
    # A risk item was answered above 0: the page shows her the crisis card.
    needs_crisis_card: bool


def complete_questionnaire(
    *, member: User, questionnaire_id: int, positions: dict[int, int | None]
) -> Completed:
    """Store her answers item by item, score them, and raise an AMBER flag at once
    when a risk item is answered above 0."""
    with transaction.atomic():
        questionnaire = _open_for(member, Questionnaire, questionnaire_id)
        definition = measure(questionnaire.measure)
        if wording(definition) is None:
            raise OutcomeError("This questionnaire isn't available yet.")
        try:
            scored = score(definition, positions)
        except ValueError as error:
            raise OutcomeError(str(error)) from None
        Answer.objects.bulk_create(
            Answer(
                questionnaire=questionnaire,
                item=item,
                position=positions.get(item),
                score=scored.item_scores[item],
            )
            for item in range(1, definition.item_count + 1)
        )
        questionnaire.completed_at = timezone.now()
        questionnaire.total = scored.total
        questionnaire.subscale_scores = scored.subscales
        questionnaire.band = scored.band
        if scored.risk_items:
            questionnaire.risk_flag = flag_questionnaire_risk(
                member=member, measure_name=definition.name, items=scored.risk_items
            )
        questionnaire.save()
    return Completed(questionnaire, scored, needs_crisis_card=bool(scored.risk_items))


def complete_feedback(*, member: User, feedback_id: int, answers: dict) -> Feedback:
    """Her feedback: the four statements, how likely she is to recommend us, a comment."""
    statements = {name for name, _ in Feedback.STATEMENTS}
    with transaction.atomic():
        feedback = _open_for(member, Feedback, feedback_id)
        for name in statements:
            value = answers.get(name, "")
            if value not in ("", *Agreement.values):
                raise OutcomeError("Please choose agree, neither or disagree.")
            setattr(feedback, name, value)
        recommend = answers.get("recommend")
        if recommend is not None and not 0 <= recommend <= 10:
            raise OutcomeError("Please choose a number from 0 to 10.")
        feedback.recommend = recommend
        feedback.comment = (answers.get("comment") or "").strip()
        feedback.comment_shareable = bool(answers.get("comment_shareable")) and bool(
            feedback.comment
        )
        feedback.completed_at = timezone.now()
        feedback.save()
    return feedback


# --- the service's choices ----------------------------------------------------------------


def save_outcome_settings(*, actor: User, measures: list[str], follow_up_weeks: int) -> None:
    if not policy.can_manage_measures(actor):
        raise PermissionDenied
    for slug in measures:
        if slug not in BUILT_IN:
            raise OutcomeError(f"There is no measure {slug!r}.")
        if wording(BUILT_IN[slug]) is None:
            raise OutcomeError(
                f"{BUILT_IN[slug].name} is licensed: enter its wording from your licensed copy "
                "before choosing it."
            )
    if not 1 <= follow_up_weeks <= 52:
        raise OutcomeError("Follow-ups are between 1 and 52 weeks apart.")
    with transaction.atomic():
        row = OutcomeSettings.objects.select_for_update().first() or OutcomeSettings()
        row.measures = list(dict.fromkeys(measures))
        row.follow_up_weeks = follow_up_weeks
        row.save()
        record_audit(
            actor=actor,
            action=ModerationAuditAction.SETTINGS_CHANGED,
            target=row,
            details={"measures": row.measures, "follow_up_weeks": follow_up_weeks},
        )


def enter_wording(
    *, actor: User, slug: str, stem: str, items: list[dict], licence: str
) -> MeasureWording:
    """Enter a licensed measure's wording from the service's licensed copy.

    `items`: one {"text", "options"} per item, options in the printed order,
    as many as the measure scores.
    """
    if not policy.can_manage_measures(actor):
        raise PermissionDenied
    definition = measure(slug)
    if not definition.licensed:
        raise OutcomeError(f"{definition.name}'s wording is built in.")
    if len(items) != definition.item_count:
        raise OutcomeError(f"{definition.name} has {definition.item_count} items.")
    for number, item in enumerate(items, start=1):
        if not item.get("text", "").strip():
            raise OutcomeError(f"Please enter the wording of item {number}.")
        options = [o.strip() for o in item.get("options", []) if o.strip()]
        if len(options) != definition.option_count:
            raise OutcomeError(
                f"Item {number} needs {definition.option_count} answer options, one per line."
            )
        item["options"] = options
    with transaction.atomic():
        row, _ = MeasureWording.objects.update_or_create(
            measure=slug,
            version=definition.version,
            defaults={
                "stem": stem.strip(),
                "items": [{"text": i["text"].strip(), "options": i["options"]} for i in items],
                "licence": licence.strip(),
                "entered_by": actor,
                "entered_at": timezone.now(),
            },
        )
        record_audit(
            actor=actor,
            action=ModerationAuditAction.SETTINGS_CHANGED,
            target=row,
            details={"measure": slug, "version": definition.version},
        )
    return row
