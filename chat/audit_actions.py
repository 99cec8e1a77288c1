"""What chat writes to the audit log: rooms, members, leads, join requests,
1:1 pairings, and held or hidden messages.

The values are stored in AuditEntry.action and the audit log filters on
them: never change one. The labels are what the audit log page shows.
"""

from django.db import models

from audit.registry import register_actions


@register_actions
class ChatAuditAction(models.TextChoices):
    ROOM_CREATED = "room_created", "Room created"
    ROOM_CHANGED = "room_changed", "Room changed"
    MEMBER_ENROLLED = "member_enrolled", "Member enrolled"
    MEMBER_REMOVED = "member_removed", "Removed from a room"
    LEAD_ASSIGNED = "lead_assigned", "Lead volunteer assigned"
    LEAD_UNASSIGNED = "lead_unassigned", "Lead volunteer unassigned"
    JOIN_REQUEST_APPROVED = "join_request_approved", "Join request approved"
    JOIN_REQUEST_DECLINED = "join_request_declined", "Join request declined"
    PAIRING_CREATED = "pairing_created", "1:1 pairing made"
    PAIRING_ENDED = "pairing_ended", "1:1 pairing ended"
    DIRECT_CHAT_OPENED = "direct_chat_opened", "Someone else's 1:1 chat opened"
    MESSAGE_RELEASED = "message_released", "Held message released"
    MESSAGE_BLOCKED = "message_blocked", "Held message blocked"
    MESSAGE_HIDDEN = "message_hidden", "Message hidden"
    MESSAGE_RESTORED = "message_restored", "Message restored"
    PAIRING_HANDED_OVER = "pairing_handed_over", "1:1 pairing handed over"
