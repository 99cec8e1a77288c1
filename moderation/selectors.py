"""Reads for moderation pages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet

from audit.models import AuditEntry
from moderation.protocols import RoomPlaces

if TYPE_CHECKING:
    from django.db.models import Q
    from django.db.models.functions import Cast

    from accounts.models import User
    from moderation.crisis import CrisisCard
    from moderation.models import Flag, Mute, SiteSettings, Warning
    from moderation.protocols import ScreenedMessage


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    target: str = ""
    since: date | None = None
    until: date | None = None


# Targets whose label, frozen when the entry was written, names people: the page
# shows them as they are now, so that a member who closed her account is shown as a
# former member and never by her old name (docs/security.md, promise 11).
USER_TARGET = "accounts.user"
PAIRING_TARGET = "chat.pairing"


def _as_text(field: str) -> Cast:
    from django.db.models import CharField
    from django.db.models.functions import Cast

    return Cast(field, output_field=CharField())


def _closed_targets_q() -> Q:
    """Entries about a closed (anonymised) account, or a pairing with one."""
    from django.apps import apps
    from django.db.models import Q

    from accounts.models import User

    closed = User.objects.filter(anonymised_at__isnull=False)
    pairings = apps.get_model("chat", "Pairing").objects.filter(
        Q(member__in=closed) | Q(volunteer__in=closed)
    )
    return Q(target_type=USER_TARGET, target_id__in=closed.values(text=_as_text("pk"))) | Q(
        target_type=PAIRING_TARGET, target_id__in=pairings.values(text=_as_text("pk"))
    )


def audit_entries(*, filters: AuditFilter) -> QuerySet[AuditEntry]:
    """Audit entries, newest first, narrowed by the coordinator's filters.

    "About" matches what the page shows: a person by her name now (never by
    the name of a closed account), anything else by its label.
    """
    from django.db.models import Q

    from accounts.models import User

    entries = AuditEntry.objects.select_related("actor")
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.actor:
        entries = entries.filter(actor__display_name__icontains=filters.actor)
    if filters.target:
        named_now = User.objects.filter(display_name__icontains=filters.target)
        entries = entries.filter(
            (Q(target_label__icontains=filters.target) & ~_closed_targets_q())
            | Q(target_type=USER_TARGET, target_id__in=named_now.values(text=_as_text("pk")))
        )
    if filters.since:
        entries = entries.filter(created_at__date__gte=filters.since)
    if filters.until:
        entries = entries.filter(created_at__date__lte=filters.until)
    return entries


def audit_target_labels(entries: Iterable[AuditEntry]) -> dict[int, str]:
    """What each entry is about, as the page shows it: people (and pairings) by
    their names now, anything else by the label stored with it. Two queries for
    a page, whatever its length."""
    from django.apps import apps

    from accounts.models import User

    def ids(target_type: str) -> set[int]:
        return {int(e.target_id) for e in entries if e.target_type == target_type}

    people = {u.pk: str(u) for u in User.objects.filter(pk__in=ids(USER_TARGET))}
    pairings = {
        p.pk: str(p)
        for p in apps.get_model("chat", "Pairing")
        .objects.filter(pk__in=ids(PAIRING_TARGET))
        .select_related("member", "volunteer")
    }
    live = {USER_TARGET: people, PAIRING_TARGET: pairings}
    labels: dict[int, str] = {}
    for entry in entries:
        now = live.get(entry.target_type)
        labels[entry.pk] = (
            now.get(int(entry.target_id), "") if now is not None else entry.target_label
        )
    return labels


# --- settings, staffed hours, the crisis card ---------------------------------


def site_settings() -> SiteSettings:
    """The service's settings (defaults until a coordinator saves them)."""
    from moderation.models import SiteSettings

    return SiteSettings.objects.first() or SiteSettings()


def is_staffed(*, at: datetime | None = None) -> bool:
    """Whether `at` (now) falls in the service's staffed hours."""
    from django.utils import timezone

    local = timezone.localtime(at or timezone.now())
    for weekday, start, end in site_settings().staffed_hours:
        if local.weekday() == int(weekday) and start <= local.strftime("%H:%M") < end:
            return True
    return False


def crisis_card_for(*, after_flag: bool, at: datetime | None = None) -> CrisisCard:
    """The crisis card as it is now: the service's text, and whether anyone is watching."""
    from moderation.crisis import crisis_card

    text = site_settings().crisis_card_text.strip()
    paragraphs = tuple(p.strip() for p in text.splitlines() if p.strip()) if text else None
    return crisis_card(after_flag=after_flag, staffed=is_staffed(at=at), paragraphs=paragraphs)


# --- flags ----------------------------------------------------------------------


# Chat knows who holds which places in rooms (its memberships); moderation must
# not import chat, so chat hands it a RoomPlaces when the apps are ready
# (chat.apps.ChatConfig.ready).
_room_places: RoomPlaces | None = None


def use_room_places(places: RoomPlaces) -> None:
    """Where moderation learns who leads and who is in which rooms (chat.selectors)."""
    global _room_places
    _room_places = places


def _places() -> RoomPlaces:
    if _room_places is None:
        raise ImproperlyConfigured("No RoomPlaces: is the chat app installed?")
    return _room_places


def led_room_ids(user: User) -> set[int]:
    """The rooms and 1:1 chats where she holds a lead place, on paper: whether she
    may lead in them NOW is moderation.policy's question (can_view_queue)."""
    return _places().led_room_ids(user)


def room_ids_of(person: User) -> set[int]:
    """The rooms and 1:1 chats she is in now (any role)."""
    return _places().room_ids_of(person)


def concern_subjects(user: User) -> QuerySet[User]:
    """The members she may raise a concern about, by name (policy.concern_subjects_q)."""
    from accounts.models import User
    from moderation import policy

    return (
        User.objects.filter(policy.concern_subjects_q(user, led_room_ids=led_room_ids(user)))
        .distinct()
        .order_by("display_name")
    )


def open_flags_for(user: User) -> QuerySet[Flag]:
    """Open flags she may see, most urgent first, then longest waiting."""
    from django.db.models import Case, IntegerField, Value, When

    from moderation import policy
    from moderation.models import Flag

    if not policy.can_view_queue(user):
        return Flag.objects.none()
    flags = (
        Flag.objects.filter(resolved_at__isnull=True)
        .filter(policy.flags_visible_q(user, led_room_ids=led_room_ids(user)))
        .select_related("message", "message__author", "room", "subject", "acknowledged_by")
    )
    urgency = Case(
        When(level="RED", then=Value(0)),
        When(level="AMBER", then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return flags.annotate(urgency=urgency).order_by("urgency", "created_at")


def open_red_flags_in_rooms_of(volunteer: User) -> QuerySet[Flag]:
    """Unresolved RED flags in the rooms and 1:1 chats she leads."""
    from moderation.models import Flag, Level

    return Flag.objects.filter(
        level=Level.RED, resolved_at__isnull=True, room_id__in=led_room_ids(volunteer)
    )


def has_unacknowledged_red(*, room_id: int) -> bool:
    from moderation.models import Flag, Level

    return Flag.objects.filter(
        room_id=room_id, level=Level.RED, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).exists()


def is_contact_hold(message: ScreenedMessage) -> bool:
    from moderation.models import Flag

    return Flag.objects.filter(
        message_id=message.pk, category="contact", resolved_at__isnull=True
    ).exists()


def active_mute(*, user: User, room_id: int, at: datetime | None = None) -> Mute | None:
    """The mute that stops her posting in this room now, if any."""
    from django.db.models import Q
    from django.utils import timezone

    from moderation.models import Mute

    now = at or timezone.now()
    return (
        Mute.objects.filter(user=user, lifted_at__isnull=True)
        .filter(Q(room_id=room_id) | Q(room__isnull=True))
        .filter(Q(until__isnull=True) | Q(until__gt=now))
        .order_by("until")
        .first()
    )


def flag_context(flag: Flag, *, viewer: User, led_rooms: set[int] | None = None) -> dict[str, Any]:
    """What a reviewer needs beside a flag, of moderation's own: the author's
    earlier flags that `viewer` may see (policy.flags_visible_q: a group's lead
    never sees a RED from a private 1:1 or a questionnaire's risk item), and the
    reports (reporters are shown to staff only). The messages around it are
    chat's (chat.selectors.messages_around). `led_rooms`: her `led_room_ids`,
    when the caller already has them."""
    from moderation import policy
    from moderation.models import Flag

    if led_rooms is None:
        led_rooms = led_room_ids(viewer)
    earlier = (
        Flag.objects.filter(subject=flag.subject, created_at__lt=flag.created_at)
        .filter(policy.flags_visible_q(viewer, led_room_ids=led_rooms))
        .exclude(pk=flag.pk)
        .order_by("-created_at")[:10]
        if flag.subject_id is not None
        else Flag.objects.none()
    )
    return {
        "earlier_flags": list(earlier),
        "reports": list(flag.reports.select_related("reporter").order_by("created_at")),
    }


def active_mutes() -> QuerySet[Mute]:
    from django.db.models import Q
    from django.utils import timezone

    from moderation.models import Mute

    return (
        Mute.objects.filter(lifted_at__isnull=True)
        .filter(Q(until__isnull=True) | Q(until__gt=timezone.now()))
        .select_related("user", "room")
        .order_by("created_at")
    )


def unseen_warnings(user: User) -> QuerySet[Warning]:
    from moderation.models import Warning

    return Warning.objects.filter(user=user, seen_at__isnull=True).order_by("created_at")


# --- labels ---------------------------------------------------------------------


def message_to_mark(message_id: int) -> Any:
    """Chat's Message `message_id` with its room and author, or None (moderation
    does not import chat: the model is looked up by name)."""
    from django.apps import apps

    return (
        apps.get_model("chat", "Message")
        .objects.select_related("room", "author")
        .filter(pk=message_id)
        .first()
    )


def is_someone_elses_direct_chat(viewer: User, *, room: Any) -> bool:
    """A 1:1 chat she is not part of: showing her its messages is an audited read."""
    from moderation.protocols import RoomKind

    return room.kind == RoomKind.DIRECT and room.pk not in room_ids_of(viewer)


def labels_for_export(member: User) -> list[dict[str, Any]]:
    """The labels on her messages, for her data export: what was decided about
    which message, and when; never who decided."""
    from moderation.models import Label

    return [
        {
            "message_written_at": label.message.created_at.isoformat(),
            "verdict": label.get_verdict_display(),
            "category": label.category,
            "screening_said": label.flagged_category,
            "labelled_at": label.created_at.isoformat(),
        }
        for label in Label.objects.filter(subject=member)
        .select_related("message")
        .order_by("created_at", "id")
    ]


def training_examples() -> list[Any]:
    """The service's labels as training examples (moderation.training.Example):
    right → the flag's category; wrong category and missed → the category the
    coordinator chose; not a risk → an everyday line. Labels whose message has
    no words any more (deleted, or its author closed her account) are left
    out, as are verdicts on flags of other kinds (a report's "spam")."""
    from moderation.corpus import CATEGORIES, EVERYDAY
    from moderation.models import Label
    from moderation.protocols import MessageStatus
    from moderation.training import Example

    examples = []
    labels = (
        Label.objects.filter(subject__anonymised_at__isnull=True)
        .exclude(message__status=MessageStatus.DELETED)
        .exclude(message__body="")
        .select_related("message")
        .order_by("id")
    )
    for label in labels:
        category = label.category if label.verdict != Label.Verdict.NOT_A_RISK else EVERYDAY
        if category in CATEGORIES:
            examples.append(Example(key=str(label.pk), text=label.message.body, category=category))
    return examples
