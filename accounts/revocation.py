"""Closing live sockets when a person's access changes.

Every socket joins a group for its user and one for its browser login; these
functions ring them after the commit that caused the change. Each socket
sends `revoked` and closes with 4001 (DESIGN.md: within 2 seconds).
"""

from __future__ import annotations

from infra.realtime import broadcast_on_commit, login_session_group, user_group


def revoke_user_sockets(*, user_id: int, reason: str) -> None:
    """Close every socket of the person (password change, role change, suspension)."""
    broadcast_on_commit(user_group(user_id), {"type": "chat.revoke", "reason": reason})


def revoke_login_sockets(*, session_key: str, reason: str) -> None:
    """Close the sockets of one browser login (logout)."""
    broadcast_on_commit(login_session_group(session_key), {"type": "chat.revoke", "reason": reason})
