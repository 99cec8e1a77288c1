"""Moderation actions. The audit log is written here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from accounts.revocation import revoke_user_sockets
from audit.models import AuditEntry
from audit.services import record_audit
from infra.realtime import broadcast_on_commit, coordinators_group, room_group, user_group
from moderation import notices, policy, risk_model
from moderation import ruleset as ruleset_module
from moderation.audit_actions import ModerationAuditAction
from moderation.models import (
    LEVEL_ORDER,
    Flag,
    Label,
    Level,
    Mute,
    Report,
    Rule,
    SiteSettings,
    Warning,
)
from moderation.protocols import MessageStatus, RoomKind, ScreenedMessage, ScreenedRoom
from moderation.ruleset import RuleScope
from moderation.screening import Thresholds, Verdict, decide
from moderation.selectors import (
    crisis_card_for,
    is_staffed,
    led_room_ids,
    site_settings,
)

REALERT_AFTER = timedelta(minutes=5)


# The queue refreshes itself whenever a flag arrives or changes: the same card seen
# again within this window is the same read, not a new one.
EXCERPT_READ_WINDOW = timedelta(minutes=15)


def record_direct_excerpts_seen(
    *, viewer: User, flags: Iterable[Flag], at: datetime | None = None
) -> int:
    """Audit the 1:1 excerpts the queue is about to show her: one entry per flag
    (not per message) from a 1:1 chat she is not part of, unless she has one for
    that flag from the last EXCERPT_READ_WINDOW. Two queries, whatever the number
    of cards. Returns the number of entries written."""
    from moderation.selectors import room_ids_of

    her_rooms = room_ids_of(viewer)
    seen = [
        f for f in flags if policy.excerpt_read_is_audited(viewer, flag=f, her_room_ids=her_rooms)
    ]
    if not seen:
        return 0
    now = at or timezone.now()
    recent = set(
        AuditEntry.objects.filter(
            actor=viewer,
            action=ModerationAuditAction.DIRECT_EXCERPT_SEEN,
            target_type=Flag._meta.label_lower,
            target_id__in=[str(f.pk) for f in seen],
            created_at__gt=now - EXCERPT_READ_WINDOW,
        ).values_list("target_id", flat=True)
    )
    entries = [
        AuditEntry(
            actor=viewer,
            action=ModerationAuditAction.DIRECT_EXCERPT_SEEN,
            target_type=Flag._meta.label_lower,
            target_id=str(flag.pk),
            target_label=str(flag)[:200],
            details={"room": flag.room_id, "message": flag.message_id},
            created_at=now,
        )
        for flag in seen
        if str(flag.pk) not in recent
    ]
    AuditEntry.objects.bulk_create(entries)
    return len(entries)


# --- screening messages --------------------------------------------------------


def _applies(scope: RuleScope | None, *, room_id: int, author: User) -> bool:
    if scope is None:
        return False
    if scope.room_ids and room_id not in scope.room_ids:
        return False
    if scope.applies_to == Rule.AppliesTo.MEMBERS:
        return author.role == Role.MEMBER
    if scope.applies_to == Rule.AppliesTo.VOLUNTEERS:
        return author.role != Role.MEMBER
    return True


def scan_text(
    *,
    text: str,
    room_kind: str = RoomKind.GROUP,
    room_id: int | None = None,
    author: User | None = None,
    with_model: bool = True,
) -> Verdict:
    """Scan `text` with the current rules and the model, and apply SAFEGUARDING.md's table.

    Without a room or an author, every rule counts (the rules page and
    `manage.py scan_text`). The model runs unless the site has turned it off;
    how the two decide together is moderation.screening's.
    """
    ruleset = ruleset_module.current()
    matches = []
    for match in ruleset.scanner.scan(text):
        scope = ruleset.scopes.get(match.rule)
        if author is None or room_id is None or _applies(scope, room_id=room_id, author=author):
            matches.append(match)
    if not with_model or not ruleset.model_enabled:
        # Stage 1 never loads the model: where stage 2 runs on workers, the
        # web processes need neither its memory nor its seconds of loading.
        return decide(matches, room_kind=room_kind)
    model = risk_model.current()
    if model is None:
        return decide(matches, room_kind=room_kind)
    return decide(
        matches,
        room_kind=room_kind,
        scores=model.score(text),
        thresholds=model_thresholds(ruleset.model_thresholds),
        length=len(text),
    )


def model_thresholds(saved: dict) -> Thresholds:
    """The site's thresholds: the coordinators' choices over the recommended ones."""
    chosen = {**risk_model.recommended_thresholds()}
    for category, values in saved.items():
        chosen[category] = {**chosen.get(category, {}), **values}
    return Thresholds.from_json(chosen)


def screen_message(
    *, author: User, room: ScreenedRoom, body: str, with_model: bool = True
) -> Verdict:
    """Decide whether a message is published, held for review or blocked.

    Every message passes through here before it is stored (chat.services, which
    stores it with the status the verdict says): with the rules alone in the
    send transaction when the model reads it afterwards (stage 1), and with
    both in stage 2.
    """
    return scan_text(
        text=body, room_kind=room.kind, room_id=room.pk, author=author, with_model=with_model
    )


def model_screens_after_send() -> bool:
    """Whether stage 2 (the model, after the send) is on: a model is configured
    (read from the settings, so that a web process never loads it for this),
    the site has not switched it off, and two stages are configured."""
    return (
        settings.VILLAGE_SCREENING_STAGES == 2
        and settings.VILLAGE_RISK_MODEL != "off"
        and ruleset_module.current().model_enabled
    )


# --- flags ---------------------------------------------------------------------------


def _flag_event(flag: Flag, kind: str = "chat.flag") -> dict:
    return {
        "type": kind,
        "flag": {
            "id": flag.pk,
            "level": flag.level,
            "category": flag.category,
            "room": flag.room_id,
            "message": flag.message_id,
            "acknowledged": flag.acknowledged_at is not None,
            "resolved": flag.resolved_at is not None,
        },
        "room": flag.room_id,
    }


def _announce_flag(flag: Flag, kind: str = "chat.flag") -> None:
    """To every coordinator, and to the sockets in the flag's room (its lead
    volunteers forward it; everyone else's sockets drop it)."""
    event = _flag_event(flag, kind)
    broadcast_on_commit(coordinators_group(), event)
    if flag.room_id:
        broadcast_on_commit(room_group(flag.room_id), {**event, "type": "chat.room_flag"})


def flag_message(*, message: ScreenedMessage, verdict: Verdict) -> Flag:
    """Store the flag for a screened message. Call in the message's transaction."""
    model = risk_model.current() if verdict.scores is not None else None
    flag = Flag.objects.create(
        source=Flag.Source.SCANNER if verdict.rule_matches else Flag.Source.MODEL,
        level=verdict.level or Level.AMBER,
        category=verdict.category,
        message_id=message.pk,
        room_id=message.room_id,
        subject_id=message.author_id,
        detail="; ".join(sorted({f"{m.category}: {m.term}" for m in verdict.rule_matches}))[:1000],
        model_scores=dict(verdict.scores or {}),
        model_version=model.version[:40] if model is not None else "",
    )
    flag.rules.set([m.rule for m in verdict.matches if isinstance(m.rule, int)])
    _announce_flag(flag)
    if verdict.needs_crisis_card:
        card = crisis_card_for(after_flag=True).as_frame()
        broadcast_on_commit(user_group(message.author_id), {"type": "chat.support", "card": card})
    if flag.level == Level.RED:
        alert_coordinators_on_commit()
    return flag


def flag_referral(*, referral: models.Model, category: str, detail: str) -> Flag:
    """A referral whose safety screen said "yes": a RED item on the coordinators'
    queue at once, announced live and by email. Call in the referral's transaction.

    `referral` is intake's Referral: moderation sits below intake and never imports it."""
    flag = Flag.objects.create(
        source=Flag.Source.REFERRAL,
        level=Level.RED,
        category=category,
        referral_id=referral.pk,
        detail=detail[:1000],
    )
    _announce_flag(flag)
    alert_coordinators_on_commit()
    return flag


def flag_questionnaire_risk(*, member: User, measure_name: str, items: tuple[int, ...]) -> Flag:
    """A questionnaire's self-harm item answered above 0: an AMBER flag for a
    coordinator to review the same working day (SAFEGUARDING.md). Call in the
    questionnaire's transaction; the page shows her the crisis card."""
    flag = Flag.objects.create(
        source=Flag.Source.MEASURE,
        level=Level.AMBER,
        category="self_harm",
        subject=member,
        detail=f"{measure_name}: risk item {', '.join(map(str, items))} answered above 0",
    )
    _announce_flag(flag)
    return flag


def alert_coordinators_on_commit() -> None:
    """A discreet email to every coordinator (no content): a RED flag is waiting."""
    notices.urgent_flag_on_commit()


def _flag_for(actor: User, flag_id: int, *, lock: bool = True) -> Flag:
    flags = Flag.objects.select_for_update() if lock else Flag.objects
    flag = flags.filter(pk=flag_id).first()
    if flag is None or not policy.can_act_on_flag(
        actor, flag=flag, led_room_ids=led_room_ids(actor)
    ):
        raise PermissionDenied
    return flag


def acknowledge_flag(*, actor: User, flag_id: int) -> Flag:
    """ "I'm on it": so that two people do not both act."""
    with transaction.atomic():
        flag = _flag_for(actor, flag_id)
        if flag.acknowledged_at is None:
            flag.acknowledged_at = timezone.now()
            flag.acknowledged_by = actor
            flag.save(update_fields=["acknowledged_at", "acknowledged_by"])
            record_audit(actor=actor, action=ModerationAuditAction.FLAG_ACKNOWLEDGED, target=flag)
            _announce_flag(flag, "chat.flag_update")
    return flag


ESCALATION_NOTE_MAX = 1000  # moderation.forms.EscalateForm says so to the person


@dataclass(frozen=True)
class Escalation:
    flag: Flag
    # False when the flag had already been escalated: nothing changed, nobody alerted.
    newly: bool


def escalate_flag(*, actor: User, flag_id: int, note: str = "") -> Escalation:
    """A lead volunteer hands a flag to the coordinators: audited, and every
    coordinator is alerted. Once only: escalating it again changes nothing and
    alerts nobody (a repeated click, or someone pressing it to flood their
    inboxes). Raises ValueError for a note the audit log must not take (too
    long, or with a NUL byte); the form refuses those first, in plain words."""
    if len(note) > ESCALATION_NOTE_MAX or "\x00" in note:
        raise ValueError("The note is too long or has a hidden character in it.")
    with transaction.atomic():
        flag = _flag_for(actor, flag_id)
        if flag.escalated_at is not None:
            return Escalation(flag=flag, newly=False)
        flag.escalated_at = timezone.now()
        flag.save(update_fields=["escalated_at"])
        record_audit(
            actor=actor,
            action=ModerationAuditAction.FLAG_ESCALATED,
            target=flag,
            reason=note.strip(),
        )
        _announce_flag(flag, "chat.flag_update")
        alert_coordinators_on_commit()
    return Escalation(flag=flag, newly=True)


def resolve_flag(
    *,
    actor: User,
    flag_id: int,
    outcome: str,
    note: str = "",
    verdict: str = "",
    category: str = "",
) -> Flag:
    """Resolve a flag with its outcome; for a flag on a message, `verdict` says
    whether screening was right (a Label: "right", "wrong_category" with the
    `category` it should have been, or "not_a_risk"; "" records none).

    Raises ValueError, with nothing saved, for an unknown outcome or verdict.
    """
    if not policy.can_sanction(actor):
        raise PermissionDenied
    if outcome not in Flag.Outcome.values:
        raise ValueError("Choose an outcome.")
    check_verdict(verdict=verdict, category=category)
    with transaction.atomic():
        flag = _flag_for(actor, flag_id)
        if flag.resolved_at is not None:
            return flag
        if verdict:
            label_flag(actor=actor, flag=flag, verdict=verdict, category=category)
        now = timezone.now()
        flag.resolved_at = now
        flag.resolved_by = actor
        flag.outcome = outcome
        flag.resolution_note = note
        if flag.acknowledged_at is None:
            flag.acknowledged_at, flag.acknowledged_by = now, actor
        flag.save()
        record_audit(
            actor=actor,
            action=ModerationAuditAction.FLAG_RESOLVED,
            target=flag,
            reason=note,
            details={"outcome": outcome},
        )
        _announce_flag(flag, "chat.flag_update")
    return flag


CONCERN_WINDOW = timedelta(hours=1)


class ConcernLimitReached(Exception):
    """She has raised as many concerns this hour as one person may; `detail` says,
    in plain words, what to do instead and when she can raise the next one."""

    def __init__(self, *, limit: int, next_at: datetime) -> None:
        self.limit, self.next_at = limit, next_at
        self.detail = (
            f"You've raised {limit} concern{'s' if limit != 1 else ''} in the last hour, "
            "which is as many as Village takes from one person in an hour (each one "
            "alerts the coordinators). If someone may be in danger now, please phone "
            "your coordinator, or 999. You can raise another concern here from "
            f"{timezone.localtime(next_at):%H:%M}."
        )
        super().__init__(self.detail)


def raise_concern(
    *, actor: User, member: User, level: str, note: str, room_id: int | None = None
) -> Flag:
    """A safeguarding concern about a member, without a message.

    Raises PermissionDenied unless she may raise one about this member
    (policy.can_raise_concern), and ConcernLimitReached past
    VILLAGE_CONCERNS_PER_PERSON_PER_HOUR concerns from her in the last hour:
    each concern alerts the coordinators, so the form must not become a way to
    flood them.
    """
    from django.conf import settings

    from moderation.selectors import room_ids_of

    if not policy.can_raise_concern(
        actor, member=member, led_room_ids=led_room_ids(actor), member_room_ids=room_ids_of(member)
    ):
        raise PermissionDenied
    if level not in (Level.RED, Level.AMBER) or not note.strip():
        raise ValueError("Choose a level and describe the concern.")
    with transaction.atomic():
        # One person's concerns one at a time, so that two at once cannot both
        # slip under the limit.
        User.objects.select_for_update().filter(pk=actor.pk).first()
        limit = settings.VILLAGE_CONCERNS_PER_PERSON_PER_HOUR
        now = timezone.now()
        recent = list(
            Flag.objects.filter(
                source=Flag.Source.CONCERN, raised_by=actor, created_at__gt=now - CONCERN_WINDOW
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            raise ConcernLimitReached(limit=limit, next_at=recent[-1] + CONCERN_WINDOW)
        flag = _raise_flag(
            source=Flag.Source.CONCERN,
            level=level,
            category="concern",
            room_id=room_id,
            subject=member,
            detail=note.strip(),
            raised_by=actor,
        )
        record_audit(
            actor=actor, action=ModerationAuditAction.CONCERN_RAISED, target=member, reason=note
        )
    return flag


def realert_unacknowledged(*, now: datetime) -> int:
    """RED flags nobody acknowledged for 5 minutes: alert every coordinator again
    (and again every 5 minutes until someone does)."""
    due = now - REALERT_AFTER
    flags = Flag.objects.filter(
        level=Level.RED, acknowledged_at__isnull=True, resolved_at__isnull=True, created_at__lte=due
    ).filter(Q(realerted_at__isnull=True) | Q(realerted_at__lte=due))
    count = 0
    for flag in flags:
        with transaction.atomic():
            Flag.objects.filter(pk=flag.pk).update(realerted_at=now)
            flag.realerted_at = now
            broadcast_on_commit(coordinators_group(), {**_flag_event(flag), "realert": True})
            alert_coordinators_on_commit()
        count += 1
    return count


# --- reports ---------------------------------------------------------------------------

REPORT_LEVELS = {
    Report.Reason.WORRIED: (Level.AMBER, "wellbeing"),
    Report.Reason.HOSTILE: (Level.AMBER, "hostility"),
    Report.Reason.CONTACT: (Level.AMBER, "contact"),
    Report.Reason.SPAM: (Level.GREEN, "spam"),
    Report.Reason.OTHER: (Level.GREEN, "other"),
}


@dataclass(frozen=True)
class ReportOutcome:
    """What a report led to. Moderation decides; chat, which owns messages, carries
    out `hide_message` (chat.services.report)."""

    report: Report
    # Out of staffed hours, enough different people reported it: hide it until reviewed.
    hide_message: bool = False
    hide_reason: str = ""


def report_message(
    *, reporter: User, message: ScreenedMessage, reason: str, note: str = ""
) -> ReportOutcome:
    """Report a message she can see. Out of staffed hours, enough reports mute its
    author everywhere until a coordinator reviews them (done here), or hide the
    message (decided here, for the caller to do in the same transaction)."""
    level, category = REPORT_LEVELS[Report.Reason(reason)]
    with transaction.atomic():
        flag = (
            Flag.objects.select_for_update()
            .filter(message_id=message.pk, source=Flag.Source.REPORT, resolved_at__isnull=True)
            .first()
        )
        if flag is None:
            flag = Flag.objects.create(
                source=Flag.Source.REPORT,
                level=level,
                category=category,
                message_id=message.pk,
                room_id=message.room_id,
                subject_id=message.author_id,
            )
        elif LEVEL_ORDER[level] < LEVEL_ORDER[flag.level]:
            flag.level, flag.category = level, category
            flag.save(update_fields=["level", "category"])
        report, created = Report.objects.get_or_create(
            message_id=message.pk,
            reporter=reporter,
            defaults={"reason": reason, "note": note.strip(), "flag": flag},
        )
        outcome = ReportOutcome(report=report)
        if created:
            _announce_flag(flag)
            if not is_staffed():
                outcome = _apply_off_hours_thresholds(message, report=report)
    return outcome


def _apply_off_hours_thresholds(message: ScreenedMessage, *, report: Report) -> ReportOutcome:
    """Mute the message's author everywhere, or decide that the message is to be
    hidden, once enough DIFFERENT people have reported: never on one person's
    reports, never on staff."""
    outcome = ReportOutcome(report=report)
    author = message.author
    if not policy.may_protect_automatically_against(author):
        return outcome
    settings_row = site_settings()
    # Her own reports never count, and reviewed (resolved) reports are done with.
    open_reports = Report.objects.filter(flag__resolved_at__isnull=True).exclude(
        reporter_id=author.pk
    )
    reporters = open_reports.filter(message_id=message.pk).values("reporter").distinct().count()
    if (
        policy.off_hours_threshold_reached(
            distinct_reporters=reporters, threshold=settings_row.off_hours_hide_after_reports
        )
        and message.status == MessageStatus.PUBLISHED
    ):
        outcome = ReportOutcome(
            report=report,
            hide_message=True,
            hide_reason=f"reported by {reporters} people out of hours",
        )
    # Serialise reports about her so that two at once cannot both add a mute.
    User.objects.select_for_update().filter(pk=author.pk).first()
    since = timezone.now() - timedelta(hours=settings_row.off_hours_report_window_hours)
    across = (
        open_reports.filter(message__author=author, created_at__gte=since)
        .values("reporter")
        .distinct()
        .count()
    )
    if not policy.off_hours_threshold_reached(
        distinct_reporters=across, threshold=settings_row.off_hours_mute_after_reports
    ):
        return outcome
    already_muted_everywhere = (
        Mute.objects.filter(user=author, room__isnull=True, lifted_at__isnull=True)
        .filter(Q(until__isnull=True) | Q(until__gt=timezone.now()))
        .exists()
    )
    if already_muted_everywhere:
        return outcome
    Mute.objects.create(
        user=author,
        room=None,
        until=None,
        reason=f"reported by {across} people out of staffed hours (until reviewed)",
    )
    record_audit(
        actor=None,
        action=ModerationAuditAction.MEMBER_MUTED,
        target=author,
        reason="automatic: reports out of staffed hours",
        details={"reporters": across},
    )
    return outcome


# --- sanctions (coordinators) -------------------------------------------------------------


def _require_sanction(actor: User) -> None:
    if not policy.can_sanction(actor):
        raise PermissionDenied


def warn_member(*, actor: User, member: User, note: str) -> Warning:
    """A private note she sees next time she opens Village."""
    _require_sanction(actor)
    with transaction.atomic():
        warning = Warning.objects.create(user=member, note=note.strip(), created_by=actor)
        record_audit(
            actor=actor, action=ModerationAuditAction.MEMBER_WARNED, target=member, reason=note
        )
        broadcast_on_commit(
            user_group(member.pk),
            {"type": "chat.warning", "warning": {"id": warning.pk, "note": warning.note}},
        )
    return warning


def mark_warning_seen(*, user: User, warning_id: int) -> None:
    Warning.objects.filter(pk=warning_id, user=user, seen_at__isnull=True).update(
        seen_at=timezone.now()
    )


def mute_member(
    *, actor: User, member: User, room_id: int | None, minutes: int | None, reason: str
) -> Mute:
    """Stop her posting in a room (or everywhere) for `minutes`, or until lifted."""
    _require_sanction(actor)
    with transaction.atomic():
        until = timezone.now() + timedelta(minutes=minutes) if minutes else None
        mute = Mute.objects.create(
            user=member, room_id=room_id, until=until, reason=reason, created_by=actor
        )
        record_audit(
            actor=actor,
            action=ModerationAuditAction.MEMBER_MUTED,
            target=member,
            reason=reason,
            details={"room": room_id, "minutes": minutes},
        )
    return mute


def lift_mute(*, actor: User, mute_id: int) -> None:
    _require_sanction(actor)
    with transaction.atomic():
        mute = Mute.objects.select_for_update().get(pk=mute_id)
        if mute.lifted_at is None:
            mute.lifted_at = timezone.now()
            mute.save(update_fields=["lifted_at"])
            record_audit(actor=actor, action=ModerationAuditAction.MUTE_LIFTED, target=mute.user)


def suspend_account(*, actor: User, member: User, reason: str) -> None:
    """Suspend her account: she cannot log in, and her sockets close at once."""
    if not policy.can_suspend(actor, member=member):
        raise PermissionDenied
    with transaction.atomic():
        User.objects.filter(pk=member.pk).update(is_active=False)
        record_audit(
            actor=actor,
            action=ModerationAuditAction.ACCOUNT_SUSPENDED,
            target=member,
            reason=reason,
        )
        revoke_user_sockets(user_id=member.pk, reason="suspended")


def lift_suspension(*, actor: User, member: User, reason: str = "") -> None:
    _require_sanction(actor)
    with transaction.atomic():
        User.objects.filter(pk=member.pk).update(is_active=True)
        record_audit(
            actor=actor,
            action=ModerationAuditAction.SUSPENSION_LIFTED,
            target=member,
            reason=reason,
        )


# --- rules and settings ---------------------------------------------------------------------


def save_rule(
    *,
    actor: User,
    rule: Rule,
    rooms: Iterable[ScreenedRoom] | None = None,
    changed: list[str] | None = None,
) -> Rule:
    """Add or change a rule (rules are switched off, never deleted)."""
    if not policy.can_manage_rules(actor):
        raise PermissionDenied
    with transaction.atomic():
        created = rule.pk is None
        rule.save()
        if rooms is not None:
            rule.rooms.set([room.pk for room in rooms])
        record_audit(
            actor=actor,
            action=ModerationAuditAction.RULE_CREATED
            if created
            else ModerationAuditAction.RULE_CHANGED,
            target=rule,
            details={"fields": changed or [], "enabled": rule.enabled},
        )
    return rule


def save_site_settings(*, actor: User, values: dict) -> SiteSettings:
    if not policy.can_edit_site_settings(actor):
        raise PermissionDenied
    with transaction.atomic():
        row = SiteSettings.objects.select_for_update().first() or SiteSettings()
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        record_audit(
            actor=actor,
            action=ModerationAuditAction.SETTINGS_CHANGED,
            target=row,
            details={"fields": sorted(values)},
        )
    return row


# --- labels: coordinators' verdicts on screening, for retraining -----------------------

# The verdicts a resolved flag may carry; "missed" comes from mark_missed.
FLAG_VERDICTS = (Label.Verdict.RIGHT, Label.Verdict.WRONG_CATEGORY, Label.Verdict.NOT_A_RISK)
LABEL_NOTE_MAX = 500  # moderation.forms.MissedRiskForm says so to the person


def check_verdict(*, verdict: str, category: str) -> None:
    """Raises ValueError unless `verdict` is a flag's verdict ("" for none) and a
    wrong category comes with the risk category it should have been."""
    from moderation.corpus import RISK_CATEGORIES

    if verdict and verdict not in FLAG_VERDICTS:
        raise ValueError("Say whether the flag was right.")
    if verdict == Label.Verdict.WRONG_CATEGORY and category not in RISK_CATEGORIES:
        raise ValueError("Choose the category it should have been.")


def label_flag(*, actor: User, flag: Flag, verdict: str, category: str = "") -> Label | None:
    """Keep a coordinator's verdict on a flag on a message, in the caller's
    transaction (resolve_flag). None, and nothing kept, for a flag on no message
    or on the words of someone who has closed her account."""
    check_verdict(verdict=verdict, category=category)
    if not verdict or flag.message_id is None or flag.subject_id is None:
        return None
    if flag.subject is not None and flag.subject.anonymised_at is not None:
        return None
    chosen = {
        Label.Verdict.RIGHT: flag.category,
        Label.Verdict.WRONG_CATEGORY: category,
        Label.Verdict.NOT_A_RISK: "",
    }[Label.Verdict(verdict)]
    label = Label.objects.create(
        message_id=flag.message_id,
        flag=flag,
        subject_id=flag.subject_id,
        verdict=verdict,
        category=chosen,
        flagged_category=flag.category,
        labelled_by=actor,
    )
    record_audit(
        actor=actor,
        action=ModerationAuditAction.FLAG_LABELLED,
        target=flag,
        details={"verdict": verdict, "category": chosen, "message": flag.message_id},
    )
    return label


class MissedRiskRefused(Exception):
    """The message cannot be marked as a missed risk; `detail` says why, kindly."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True)
class MissedRisk:
    label: Label
    flag: Flag
    # False when someone had already marked it: nothing new, nobody alerted again.
    newly: bool


def missed_risk_level(category: str) -> str:
    """The level a missed risk is raised at: its category's highest
    (SAFEGUARDING.md): RED for self_harm, baby_harm, psychosis and abuse_dv
    (where it is not clear, the careful choice), AMBER for contact and hostility."""
    from moderation.corpus import LEVELS

    return Level.RED if Level.RED in LEVELS[category] else Level.AMBER


def mark_missed(
    *, actor: User, message: ScreenedMessage, category: str, note: str = ""
) -> MissedRisk:
    """Mark a published message as a risk screening missed: a Label for
    retraining, and a flag (RED or AMBER by the category) so that it reaches
    the queue and, if RED, alerts the coordinators. Audited.

    `message` is chat's Message (moderation does not import chat; the view reads
    it with selectors.message_to_mark). Raises PermissionDenied unless
    policy.may_mark_message_missed, MissedRiskRefused when it is already on the
    queue, and ValueError for an unknown category or a note the log must not take.
    Marked once: a second mark returns the first (`newly` False).
    """
    from moderation.corpus import RISK_CATEGORIES

    if category not in RISK_CATEGORIES:
        raise ValueError("Choose the kind of risk it is.")
    note = note.strip()
    if len(note) > LABEL_NOTE_MAX or "\x00" in note:
        raise ValueError("The note is too long or has a hidden character in it.")
    with transaction.atomic():
        author = User.objects.select_for_update().get(pk=message.author_id)
        if not policy.may_mark_message_missed(
            actor,
            author_id=author.pk,
            status=message.status,
            author_closed=author.anonymised_at is not None,
        ):
            raise PermissionDenied
        earlier = Label.objects.filter(message_id=message.pk, verdict=Label.Verdict.MISSED).first()
        if earlier is not None and earlier.flag is not None:
            return MissedRisk(label=earlier, flag=earlier.flag, newly=False)
        if Flag.objects.filter(message_id=message.pk, resolved_at__isnull=True).exists():
            raise MissedRiskRefused(
                "This message is on the queue already. When you resolve its flag, you can "
                "say there whether it was right."
            )
        flag = _raise_flag(
            source=Flag.Source.MISSED,
            level=missed_risk_level(category),
            category=category,
            message_id=message.pk,
            room_id=message.room_id,
            subject=author,
            detail=note,
            raised_by=actor,
        )
        label = Label.objects.create(
            message_id=message.pk,
            flag=flag,
            subject=author,
            verdict=Label.Verdict.MISSED,
            category=category,
            note=note,
            labelled_by=actor,
        )
        record_audit(
            actor=actor,
            action=ModerationAuditAction.MISSED_RISK_MARKED,
            target=flag,
            reason=note,
            details={"category": category, "message": message.pk, "room": message.room_id},
        )
    return MissedRisk(label=label, flag=flag, newly=True)


def _raise_flag(**fields: Any) -> Flag:
    """Store a flag a person raised, tell the queue, and alert the coordinators if RED."""
    flag = Flag.objects.create(**fields)
    _announce_flag(flag)
    if flag.level == Level.RED:
        alert_coordinators_on_commit()
    return flag


def record_direct_message_seen(*, viewer: User, message: ScreenedMessage) -> None:
    """Audit a 1:1 message shown to a coordinator who is not in that chat, on the
    page where she marks it as a missed risk (as the queue audits its excerpts)."""
    record_audit(
        actor=viewer,
        action=ModerationAuditAction.DIRECT_MESSAGE_SEEN,
        target=message,  # type: ignore[arg-type]
        details={"room": message.room_id, "message": message.pk},
    )


def forget_labels_about(*, member: User) -> int:
    """Delete every label about her messages, in the caller's transaction (her
    account closing: village.data_rights). Returns how many there were."""
    count, _ = Label.objects.filter(subject=member).delete()
    return count
