"""Referral pages: the public form, the coordinators' triage, and her sign-up link.

Thin: each page reads through selectors, each action is one POST to one
service, and intake.policy decides who may do what.
"""

from __future__ import annotations

from functools import wraps

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.views import SIGNUP_PREFILL_SESSION_KEY
from audit.services import record_sensitive_read
from infra.client_address import client_address
from intake import policy, selectors, services
from intake.audit_actions import IntakeAuditAction
from intake.forms import (
    SIGNPOSTS,
    DeclineForm,
    InfoReceivedForm,
    InfoRequestForm,
    JoinCodeForm,
    ReferralForm,
)
from intake.models import Referral
from intake.signals import REFERRAL_SESSION_KEY
from moderation.selectors import crisis_card_for

# The referral whose short code this browser typed correctly.
JOIN_CODE_SESSION_KEY = "village_join_code_ok"
# What the last referral from this browser led to, for the page after the form.
OUTCOME_SESSION_KEY = "village_referral_outcome"


def _service_phone() -> str:
    return settings.VILLAGE_SERVICE_PHONE


def _client_address(request) -> str:
    # Never X-Forwarded-For directly: a client writes it (infra.client_address).
    return client_address(request)


# --- the public form ---------------------------------------------------------------


def refer(request):
    """The referral form: open to everyone, no account needed."""
    address = _client_address(request)
    if request.method != "POST":
        return render(request, "intake/refer.html", {"form": ReferralForm()})
    earlier = selectors.referral_for_submission(request.POST.get("submission_token", ""))
    if earlier is not None:
        # "Send" pressed twice, or the page resent: the same page, nothing more stored.
        return _done(
            request, urgent=earlier.screened_positive, self_referral=earlier.is_self_referral
        )
    if selectors.referral_limit_reached(client_address=address):
        return _too_many(request)
    form = ReferralForm(request.POST)
    if form.is_spam:
        # Looks like success to the bot; nothing is kept.
        services.take_referral_slot(client_address=address)
        return _done(request, urgent=False, self_referral=form.is_self_referral)
    if not form.is_valid():
        return render(request, "intake/refer.html", {"form": form}, status=400)
    if form.ineligible and not form.screen_said_yes:
        # Nothing is kept: she is told kindly where else to go.
        return render(
            request,
            "intake/not_eligible.html",
            {"self_referral": form.is_self_referral, "signposts": SIGNPOSTS},
        )
    if not services.take_referral_slot(client_address=address):
        return _too_many(request)
    if (
        form.is_self_referral
        and form.screen_said_yes
        and not services.take_urgent_self_referral_slot(client_address=address)
    ):
        # Over this address's limit: she still sees what to do now; nothing is raised.
        return _done(request, urgent=True, self_referral=True, raised=False)
    referral = services.submit_referral(details=form.details(), eligible=not form.ineligible)
    return _done(
        request, urgent=referral.screened_positive, self_referral=referral.is_self_referral
    )


def _done(request, *, urgent: bool, self_referral: bool, raised: bool = True):
    request.session[OUTCOME_SESSION_KEY] = {
        "urgent": urgent,
        "self_referral": self_referral,
        # Whether the team was told (False beyond the address's limit of urgent ones).
        "raised": raised,
    }
    return redirect("refer_urgent" if urgent else "refer_thanks")


def _too_many(request):
    return render(
        request,
        "intake/too_many.html",
        {"service_phone": _service_phone()},
        status=429,
    )


def refer_thanks(request):
    outcome = request.session.get(OUTCOME_SESSION_KEY)
    if not outcome:
        return redirect("refer")
    if outcome.get("urgent"):
        return redirect("refer_urgent")
    return render(request, "intake/thanks.html", {"self_referral": outcome["self_referral"]})


def refer_urgent(request):
    """What to do now, after a "yes" on the safety screen (the team has been told)."""
    outcome = request.session.get(OUTCOME_SESSION_KEY)
    if not outcome or not outcome.get("urgent"):
        return redirect("refer")
    return render(
        request,
        "intake/urgent.html",
        {
            "self_referral": outcome["self_referral"],
            "raised": outcome.get("raised", True),
            "card": crisis_card_for(after_flag=outcome.get("raised", True)),
        },
    )


# --- her sign-up link --------------------------------------------------------------


def join_from_referral(request, token: str):
    """Her invitation link: on to the sign-up steps, filled in from the referral.

    The account it leads to is for the address the link was sent to, and no
    other; that address is known to be hers (the link reached her there), so
    allauth treats it as verified and logs her in straight after sign-up.
    Where the service uses short codes, the link first asks for hers. A link
    opened again after she joined is told to the coordinators.
    """
    referral = selectors.referral_with_usable_invitation(token)
    if referral is None:
        used = selectors.referral_for_join_token(token)
        if used is not None and used.status == Referral.Status.JOINED:
            services.tell_coordinators_link_used_again(referral_id=used.pk)
        return _join_invalid(request)
    if request.user.is_authenticated:
        return render(request, "intake/join_logged_in.html")
    if (
        policy.join_link_needs_code(referral=referral)
        and request.session.get(JOIN_CODE_SESSION_KEY) != referral.pk
    ):
        return _ask_for_join_code(request, referral)
    get_adapter(request).stash_verified_email(request, referral.mum_email)
    request.session[REFERRAL_SESSION_KEY] = referral.pk
    request.session[SIGNUP_PREFILL_SESSION_KEY] = selectors.signup_prefill(referral)
    return redirect("account_signup")


def _join_invalid(request):
    return render(
        request,
        "intake/join_invalid.html",
        {"service_phone": _service_phone()},
        status=404,
    )


def _ask_for_join_code(request, referral: Referral):
    form = JoinCodeForm(request.POST or None)
    if request.method != "POST" or not form.is_valid():
        return render(
            request,
            "intake/join_code.html",
            {"form": form, "service_phone": _service_phone()},
            status=400 if form.is_bound else 200,
        )
    check = services.check_join_code(referral_id=referral.pk, code=form.cleaned_data["code"])
    if check.accepted:
        request.session[JOIN_CODE_SESSION_KEY] = referral.pk
        return redirect(request.path)
    if check.locked:
        return render(
            request,
            "intake/join_locked.html",
            {"service_phone": _service_phone()},
            status=403,
        )
    tries = "1 more try" if check.tries_left == 1 else f"{check.tries_left} more tries"
    form.add_error(
        "code",
        f"That code isn't right. Please check it and try again: you have {tries}.",
    )
    return render(
        request,
        "intake/join_code.html",
        {"form": form, "service_phone": _service_phone()},
        status=400,
    )


# --- triage (coordinators) ---------------------------------------------------------


def triage_page(view):
    """Coordinators only; everyone else gets 403 (the MFA middleware runs first)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not policy.can_triage(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _rows(referrals):
    return [{"referral": r, "screen_yes": selectors.screen_yes_labels(r)} for r in referrals]


@triage_page
def staff_referrals(request):
    """To triage: new referrals and those waiting for an answer, urgent first, then oldest."""
    return render(
        request,
        "intake/staff/list.html",
        {
            "tab": "triage",
            "counts": selectors.tab_counts(),
            "rows": _rows(selectors.referrals_to_triage()),
        },
    )


@triage_page
def staff_referrals_waiting(request):
    waiting = selectors.waiting_list()
    return render(
        request,
        "intake/staff/waiting.html",
        {
            "tab": "waiting",
            "counts": selectors.tab_counts(),
            "rows": [
                {
                    "referral": w.referral,
                    "days_waiting": w.days_waiting,
                    "screen_yes": selectors.screen_yes_labels(w.referral),
                    # Each row's form has its own ids, so each label finds its field.
                    "decline_form": DeclineForm(auto_id=f"decline-{w.referral.pk}-%s"),
                }
                for w in waiting
            ],
        },
    )


@triage_page
def staff_referrals_decided(request):
    page = Paginator(selectors.decided_referrals(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "intake/staff/decided.html",
        {"tab": "decided", "counts": selectors.tab_counts(), "page": page},
    )


def _referral_page(request, referral: Referral, *, forms: dict | None = None, status: int = 200):
    # Her contact details and the referrer's are on this page (also when a step
    # is refused and the page is shown again): each showing is audited.
    record_sensitive_read(
        viewer=request.user, action=IntakeAuditAction.REFERRAL_VIEWED, target=referral
    )
    forms = forms or {}
    allowed = policy.allowed_actions(referral=referral)
    return render(
        request,
        "intake/staff/detail.html",
        {
            "referral": referral,
            "screen_yes": selectors.screen_yes_labels(referral),
            "experience": selectors.experience_labels(referral),
            "timeline": selectors.referral_timeline(referral),
            "join_code": selectors.join_code_for(referral)
            if referral.status == Referral.Status.ACCEPTED
            and policy.join_link_needs_code(referral=referral)
            else "",
            "flags": selectors.referral_flags(referral),
            "allowed": allowed,
            "info_request_form": forms.get(policy.REQUEST_INFO)
            or InfoRequestForm(to_mum=referral.is_self_referral),
            "info_received_form": forms.get(policy.INFO_RECEIVED) or InfoReceivedForm(),
            "decline_form": forms.get(policy.DECLINE) or DeclineForm(),
            "open_action": next(iter(forms), ""),
        },
        status=status,
    )


@triage_page
def staff_referral(request, referral_id: int):
    referral = get_object_or_404(
        Referral.objects.select_related("decided_by", "member"), pk=referral_id
    )
    return _referral_page(request, referral)


RETURN_TO = {"waiting": "staff_referrals_waiting", "triage": "staff_referrals"}


@triage_page
@require_POST
def staff_referral_act(request, referral_id: int, action: str):
    """One triage step: accept, request_info, info_received, waitlist or decline."""
    if action not in policy.ACTIONS:
        raise Http404
    referral = get_object_or_404(Referral, pk=referral_id)
    form = None
    if action == policy.REQUEST_INFO:
        form = InfoRequestForm(request.POST, to_mum=referral.is_self_referral)
    elif action == policy.INFO_RECEIVED:
        form = InfoReceivedForm(request.POST)
    elif action == policy.DECLINE:
        form = DeclineForm(request.POST)
    if form is not None and not form.is_valid():
        if not policy.action_allowed(referral=referral, action=action):
            # The step is refused anyway: say so, rather than ask to fix the form.
            return _refused(request, referral, action)
        return _referral_page(request, referral, forms={action: form}, status=400)
    data = form.cleaned_data if form is not None else {}
    try:
        if action == policy.ACCEPT:
            accepted = services.accept_referral(
                actor=request.user,
                referral_id=referral.pk,
                join_url_for=lambda token: request.build_absolute_uri(
                    reverse("join_from_referral", args=[token])
                ),
            )
            done = "Accepted. Her invitation to join is on its way to her email."
            if policy.join_link_needs_code(referral=accepted):
                code = selectors.join_code_for(accepted)
                done += (
                    f" Her code is {code[:3]} {code[3:]}: please tell her (or the person who "
                    "referred her) by phone, never by email."
                )
        elif action == policy.REQUEST_INFO:
            services.request_information(
                actor=request.user, referral_id=referral.pk, note=data["note"]
            )
            done = (
                "Your question is emailed to her."
                if referral.is_self_referral
                else "Your question is emailed to the person who referred her."
            )
        elif action == policy.INFO_RECEIVED:
            services.record_information_received(
                actor=request.user, referral_id=referral.pk, note=data["note"]
            )
            done = "Noted. The referral is back in “to triage”."
        elif action == policy.WAITLIST:
            services.put_on_waiting_list(actor=request.user, referral_id=referral.pk)
            done = "She is on the waiting list."
        else:
            services.decline_referral(
                actor=request.user,
                referral_id=referral.pk,
                reason=data["reason"],
                signposting=data["signposting"],
            )
            done = "Declined. Your message about other support is emailed to her."
    except services.ReferralError as error:
        messages.error(request, str(error))
        return _back(request, referral)
    messages.success(request, f"Referral {referral.pk}: {done}")
    return _back(request, referral)


def _refused(request, referral: Referral, action: str):
    messages.error(request, policy.why_not(referral=referral, action=action))
    return _back(request, referral)


def _back(request, referral: Referral):
    return_to = RETURN_TO.get(request.POST.get("return_to", ""))
    if return_to:
        return redirect(return_to)
    return redirect("staff_referral", referral_id=referral.pk)
