"""Wiring from Django and allauth events to socket revocation (no logic here)."""

from __future__ import annotations

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from accounts.revocation import revoke_login_sockets, revoke_user_sockets


@receiver(user_logged_out)
def close_sockets_of_this_login(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None or not session.session_key:
        return
    key = session.session_key
    # Django signals logout before it flushes the session: delete it now, so
    # that a socket re-checking its login during the handshake finds it gone.
    session.delete(key)
    revoke_login_sockets(session_key=key, reason="logged_out")


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def close_all_sockets_of_the_user(sender, request, user, **kwargs):
    revoke_user_sockets(user_id=user.pk, reason="password_changed")
