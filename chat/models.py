"""Rooms, sessions, pairings and messages.

PostgreSQL is the source of truth: a message is acknowledged only once it is
committed here, and every client catches up from here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from moderation.protocols import MessageStatus, RoomKind


class Room(models.Model):
    """A group room (volunteer-led sessions) or a 1:1 befriending chat."""

    # Moderation screens by kind and must not import chat: the kinds are its.
    Kind = RoomKind

    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.GROUP)
    name = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    capacity = models.PositiveSmallIntegerField(
        default=12, help_text="The most members (not counting volunteers) the room takes."
    )
    always_open = models.BooleanField(
        default=False, help_text="Members may post at any time, without a session."
    )
    allows_join_requests = models.BooleanField(
        default=False, help_text="Members may ask to join; a coordinator approves."
    )
    # The last `seq` given to a published message: the counter lives on the
    # room row, which the send service locks (FOR NO KEY UPDATE) to assign it.
    last_seq = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_direct(self) -> bool:
        return self.kind == self.Kind.DIRECT


class ScheduleSlot(models.Model):
    """A weekly meeting time of a group room, in the service's time zone."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="schedule")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)

    class Meta:
        ordering = ["weekday", "starts_at"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts_at:%H:%M} ({self.duration_minutes} min)"


class Membership(models.Model):
    """Someone's place in a room: an enrolled member or a lead volunteer."""

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        LEAD = "lead", "Lead volunteer"

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    # Read position: the highest `seq` this person has seen in the room.
    last_read_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.room} ({self.role})"

    @property
    def is_active(self) -> bool:
        return self.removed_at is None


class JoinRequest(models.Model):
    """A member asking to join a room that allows requests."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="join_requests")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="join_requests"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "member"],
                condition=Q(state="pending"),
                name="one_pending_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} asks to join {self.room}"


class Session(models.Model):
    """One meeting of a group room, from opening to closing."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="sessions")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)
    # When the scheduler closes it: the slot's end, or opened_at + 2 hours.
    closes_at = models.DateTimeField()
    on_schedule = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the scheduler closed it.",
    )

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["room"], condition=Q(closed_at__isnull=True), name="one_open_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.room} session of {self.opened_at:%Y-%m-%d %H:%M}"


class Attendance(models.Model):
    """Who came to a session (joined while it was open) and who posted."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    joined_at = models.DateTimeField(default=timezone.now)
    messages_posted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="attended_once")]

    def __str__(self) -> str:
        return f"{self.user} at {self.session}"


class Pairing(models.Model):
    """A member paired with a volunteer for 1:1 befriending, in a direct room."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pairings_as_member"
    )
    volunteer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pairings_as_volunteer"
    )
    room = models.OneToOneField(Room, on_delete=models.PROTECT, related_name="pairing")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    planned_end = models.DateField(
        null=True, blank=True, help_text="When the befriending is planned to end."
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ending_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "volunteer"],
                condition=Q(ended_at__isnull=True),
                name="one_active_pairing_per_pair",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} with {self.volunteer}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class Screening(models.TextChoices):
    """Stage 2 of screening for one message (docs/protocol.md, "Screening")."""

    NONE = "", "Not for the model"  # stage 1 decided (held, blocked) or the model is off
    WAITING = "waiting", "Waiting for the model"
    DONE = "done", "Screened by the model"
    # Past its deadline before the model read it: published on the rules'
    # verdict, and scored when the workers are back.
    OVERDUE = "overdue", "Published unscreened"
    LATE = "late", "Screened after it was published"


class Message(models.Model):
    # Moderation decides by status and must not import chat: the statuses are its.
    Status = MessageStatus

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages"
    )
    client_id = models.UUIDField()
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices)
    Screening = Screening
    # Per room, from 1, gapless over published messages; none while held or blocked.
    seq = models.PositiveBigIntegerField(null=True, blank=True)
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    # Stage 2 of screening (the model, after the send): whether it is still to
    # come, and by when a message waiting in `screening` is published without it.
    screening = models.CharField(
        max_length=10, choices=Screening.choices, blank=True, default=Screening.NONE
    )
    screen_by = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["room", "seq", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"], name="one_message_per_client_id"
            ),
            models.UniqueConstraint(
                fields=["room", "seq"], condition=Q(seq__isnull=False), name="unique_seq_in_room"
            ),
        ]
        indexes = [
            models.Index(
                fields=["room", "status"], name="held_in_room", condition=Q(status="held")
            ),
            # The sweep's: what waits for the model, by deadline.
            models.Index(
                fields=["screen_by"],
                name="waiting_for_the_model",
                condition=Q(screening__in=["waiting", "overdue"]),
            ),
        ]

    def __str__(self) -> str:
        # Never the body: message text stays out of logs and admin titles.
        return f"message {self.pk} in room {self.room_id} (seq {self.seq}, {self.status})"


class EmailNotice(models.Model):
    """A discreet email sent to someone who was not connected (for the hourly limit)."""

    class Kind(models.TextChoices):
        DIRECT_MESSAGE = "direct_message", "New 1:1 message"
        SESSION_OPENED = "session_opened", "Group session opened"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.kind} notice to user {self.user_id}"
