"""Link a new account to the referral whose sign-up link brought her."""

from __future__ import annotations

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from intake import services

REFERRAL_SESSION_KEY = "village_referral_id"


@receiver(user_signed_up, dispatch_uid="intake.record_signup")
def record_signup(sender, request, user, **kwargs) -> None:
    referral_id = request.session.pop(REFERRAL_SESSION_KEY, None) if request else None
    if referral_id is not None:
        services.record_signup(referral_id=referral_id, user=user)
