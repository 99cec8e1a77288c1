"""What moderation knows of chat: the shapes it screens and decides about.

Moderation sits below chat (DESIGN.md, "Layout and layers") and never imports
it. Chat passes its rooms and messages in, and they satisfy these protocols;
chat's models take their kinds and statuses from here, so that the two can
never disagree about what "published" or "group" means. Who leads which room
is chat's to know (its memberships): chat hands moderation a `RoomPlaces` at
start-up (chat.apps), and moderation asks it through moderation.selectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.db import models

if TYPE_CHECKING:
    from accounts.models import User


class RoomKind(models.TextChoices):
    """The kinds of room (chat.models.Room.Kind): rules and their actions differ by kind."""

    GROUP = "group", "Group room"
    DIRECT = "direct", "1:1 chat"


class MessageStatus(models.TextChoices):
    """Where a message stands (chat.models.Message.Status)."""

    PUBLISHED = "published", "Published"
    # Waiting for stage 2 of screening (the model): no seq yet, seen only by
    # its author and the room's staff.
    SCREENING = "screening", "Being checked"
    HELD = "held", "Held for review"
    BLOCKED = "blocked", "Blocked"
    HIDDEN = "hidden", "Hidden by a moderator"
    DELETED = "deleted", "Deleted by its author"


class ScreenedRoom(Protocol):
    """The room a message is screened for: which room, and what kind."""

    @property
    def pk(self) -> int: ...

    @property
    def kind(self) -> str: ...  # a RoomKind value


class ScreenedMessage(Protocol):
    """A stored message that moderation flags, or takes reports about.

    Moderation reads these and never changes them: what should happen to the
    message (hide it) comes back as a decision for chat to carry out.
    """

    @property
    def pk(self) -> int: ...

    @property
    def room_id(self) -> int: ...

    @property
    def author_id(self) -> int: ...

    @property
    def author(self) -> User: ...

    @property
    def body(self) -> str: ...

    @property
    def status(self) -> str: ...  # a MessageStatus value


class RoomPlaces(Protocol):
    """Who holds which places in rooms and 1:1 chats (chat.selectors provides it)."""

    def led_room_ids(self, user: User) -> set[int]:
        """The rooms and 1:1 chats where she holds a lead place, on paper."""
        ...

    def room_ids_of(self, person: User) -> set[int]:
        """The rooms and 1:1 chats she is in now (any role)."""
        ...
