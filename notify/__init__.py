"""Sending notices to people: discreet emails today, later push.

This package only sends. Who is told, and when, is decided by the app the
notice is about (chat/notices.py, moderation/notices.py, ...), which passes
the people and the kind of notice. It imports no app.

    notify.email(people=[her], kind="direct_message")          # now, this thread
    notify.email_on_commit(people=active_coordinators, kind="urgent_flag")
    notify.on_commit(fn, **kwargs)   # run fn after the commit, in the background
    notify.drain()                   # tests: wait for what is queued
"""

from notify.background import drain, in_background, on_commit
from notify.email import email, email_on_commit

__all__ = ["drain", "email", "email_on_commit", "in_background", "on_commit"]
