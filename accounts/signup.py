"""The steps of a mum's sign-up, and what each keeps in her session.

1. Eligibility (is Village for her?): nothing is stored, only remembered in
   her session for the next step.
2. Her account: email, password, display name.
3. Her email address is verified (the link logs her in only in the browser
   she signed up in; elsewhere it asks for her password too).
4. Her private safeguarding details and health-data consent, entered by her
   once her address is proven. Pages that rely on them send a member who has
   not given them yet to this step, and back to where she was going.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from accounts import policy

# Her answers to the eligibility step (stage, dates, how she heard of us).
ELIGIBILITY_SESSION_KEY = "village_signup_eligibility"
# The account this browser signed up: its verification link logs in here only.
SIGNED_UP_SESSION_KEY = "village_signed_up_user"
# What another part of Village (a referral's sign-up link) knows about a new
# member already: initial values for the sign-up steps, kept in her session.
SIGNUP_PREFILL_SESSION_KEY = "village_signup_prefill"


def private_details_step_url(next_path: str = "") -> str:
    url = reverse("member_private_details")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def private_details_first(view):
    """For pages that rely on a member's private details: she gives them first.

    Visitors and staff pass through unchanged (the view decides about them).
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if policy.needs_private_details(request.user):
            return redirect(private_details_step_url(request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapper
