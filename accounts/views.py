"""Pages for people: profile, consent, and the coordinators' people pages."""

from __future__ import annotations

from functools import wraps

from allauth.account import views as allauth_views
from allauth.account.adapter import get_adapter
from allauth.account.internal.flows.login import perform_login, record_authentication
from allauth.account.models import Login
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import policy, selectors, services, signup
from accounts.forms import (
    AcceptInvitationForm,
    ConfirmWithPasswordForm,
    EligibilityForm,
    InvitationForm,
    PeopleSearchForm,
    PrivateDetailsForm,
    ProfileForm,
    SafeguardingAccessForm,
)
from accounts.models import Invitation, User
from accounts.signup import SIGNUP_PREFILL_SESSION_KEY  # noqa: F401 - the join link's key


class MemberSignupView(allauth_views.SignupView):
    """The account step of a mum's sign-up (after eligibility; see accounts.signup)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated and not request.session.get(
            signup.ELIGIBILITY_SESSION_KEY
        ):
            # The first step comes first: is Village for her?
            return redirect("account_signup")
        return super().dispatch(request, *args, **kwargs)

    def _prefill(self) -> dict:
        return self.request.session.get(signup.SIGNUP_PREFILL_SESSION_KEY) or {}

    def get_initial(self) -> dict:
        initial = super().get_initial()
        initial.update({k: v for k, v in self._prefill().items() if k in ("email", "display_name")})
        return initial

    def get_form_kwargs(self) -> dict:
        kwargs = super().get_form_kwargs()
        kwargs["eligibility"] = self.request.session.get(signup.ELIGIBILITY_SESSION_KEY)
        # Only a referral's link prefills the address, and then it is the only one.
        kwargs["fixed_email"] = self._prefill().get("email", "")
        return kwargs

    def form_valid(self, form):
        # An address known to be hers (from her invitation link) counts as
        # verified only if she keeps it. If another were used (someone may
        # read the first), the first must not be added to the account at all.
        adapter = get_adapter(self.request)
        stashed = self.request.session.get("account_verified_email")
        if stashed and stashed.lower() != form.cleaned_data["email"].lower():
            adapter.unstash_verified_email(self.request)
        self.request.session.pop(signup.SIGNUP_PREFILL_SESSION_KEY, None)
        self.request.session.pop(signup.ELIGIBILITY_SESSION_KEY, None)
        response = super().form_valid(form)
        if getattr(self, "user", None) is not None:
            self.request.session[signup.SIGNED_UP_SESSION_KEY] = self.user.pk
        return response


member_signup = MemberSignupView.as_view()


def signup_eligibility(request):
    """The first step of signing up: is Village for her? Nothing is stored."""
    if request.user.is_authenticated:
        return redirect("home")
    prefill = request.session.get(signup.SIGNUP_PREFILL_SESSION_KEY) or {}
    initial = request.session.get(signup.ELIGIBILITY_SESSION_KEY) or {
        name: prefill[name] for name in EligibilityForm.base_fields if prefill.get(name)
    }
    form = EligibilityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        request.session[signup.ELIGIBILITY_SESSION_KEY] = form.answers()
        return redirect("member_signup_account")
    return render(request, "accounts/signup_eligibility.html", {"form": form})


@login_required
def private_details(request):
    """The last step of signing up: her private details and consent, now that her
    address is proven. Then on to where she was going."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if not policy.needs_private_details(request.user):
        return redirect(next_url or "home")
    form = PrivateDetailsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.give_private_details(user=request.user, safeguarding=form.safeguarding())
        except services.AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Thank you. Welcome to Village.")
            return redirect(next_url or "home")
    return render(
        request,
        "accounts/private_details.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """allauth's confirmation page; away from the browser that signed up, it asks for
    her password as well, and only then confirms the address and logs her in.

    In the browser that signed up, allauth logs her in on confirmation
    (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION: its login stage is in that session
    only). Elsewhere the link alone would confirm an address for whoever chose
    the password: someone who registered her address first.
    """

    def _asks_for_password(self) -> bool:
        if self.object is None:
            return False
        owner_id = self.object.email_address.user_id
        if self.request.user.is_authenticated and self.request.user.pk == owner_id:
            return False
        return self.request.session.get(signup.SIGNED_UP_SESSION_KEY) != owner_id

    def get_context_data(self, **kwargs) -> dict:
        password_form = kwargs.pop("password_form", None)
        context = super().get_context_data(**kwargs)
        if self._asks_for_password():
            context["password_form"] = password_form or ConfirmWithPasswordForm(
                user=self.object.email_address.user
            )
        return context

    def post(self, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            self.object = None
        if not self._asks_for_password():
            return super().post(*args, **kwargs)
        address = self.object.email_address
        form = ConfirmWithPasswordForm(self.request.POST, user=address.user)
        if not ratelimit.consume(self.request, action="login_failed", key=address.email.lower()):
            form.is_valid()
            form.errors.clear()
            form.add_error(None, "Too many tries. Please wait a few minutes and try again.")
            return self.render_to_response(self.get_context_data(password_form=form), status=429)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(password_form=form), status=400)
        response = super().post(*args, **kwargs)
        address.refresh_from_db()
        if self.request.user.is_authenticated or not address.verified:
            return response
        record_authentication(self.request, address.user, method="password", email=address.email)
        return perform_login(self.request, Login(user=address.user, email=address.email))


confirm_email = ConfirmEmailView.as_view()


def staff_page(view):
    """Coordinators only; everyone else gets 403 (the MFA middleware runs first)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not policy.can_use_staff_pages(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@login_required
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, person=user)
        if form.is_valid():
            services.update_profile(user=user, **form.cleaned_data)
            messages.success(request, "Your profile is saved.")
            return redirect("profile")
    else:
        form = ProfileForm(
            initial={
                "display_name": user.display_name,
                "notify_direct_messages": user.notify_direct_messages,
                "notify_session_opens": user.notify_session_opens,
                "show_online": user.show_online,
            }
        )
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "consent": selectors.health_consent_status(user=user)},
    )


@login_required
@require_POST
def health_consent(request):
    if request.POST.get("action") == "withdraw":
        services.withdraw_health_consent(user=request.user)
        messages.info(
            request,
            "You have withdrawn your consent. A coordinator will be in touch about what "
            "this means for your support.",
        )
    else:
        services.give_health_consent(user=request.user)
        messages.success(request, "Thank you. Your consent is recorded.")
    return redirect("profile")


@staff_page
def people(request):
    form = PeopleSearchForm(request.GET or None, auto_id="%s")  # ids "q" and "role", as before
    search = form.cleaned_data if form.is_valid() else {}
    query, role = search.get("q", ""), search.get("role", "")
    found = User.objects.filter(anonymised_at__isnull=True)
    if query:
        found = found.filter(Q(display_name__icontains=query) | Q(email__icontains=query))
    if role:
        found = found.filter(role=role)
    page = Paginator(found.order_by("display_name", "id"), 50).get_page(request.GET.get("page"))
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(
        request,
        "staff/people.html",
        {
            "form": form,
            "page": page,
            "query_string": query_string.urlencode(),
            "invitations": Invitation.objects.filter(accepted_by__isnull=True)[:20],
        },
        status=400 if form.errors else 200,
    )


@staff_page
@require_POST
def safeguarding_details(request, user_id: int):
    member = get_object_or_404(User, pk=user_id, anonymised_at__isnull=True)
    form = SafeguardingAccessForm(request.POST)
    details = None
    if form.is_valid():
        try:
            details = services.view_safeguarding_details(
                actor=request.user, member=member, reason=form.cleaned_data["reason"]
            )
        except services.AccountError as error:
            form.add_error(None, str(error))
    return render(
        request,
        "staff/safeguarding_details.html",
        {"person": member, "details": details, "form": form},
        status=200 if details else 400,
    )


@staff_page
def invite(request):
    if request.method == "POST":
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation = services.invite(
                    actor=request.user,
                    accept_url_for=lambda token: request.build_absolute_uri(
                        reverse("accept_invitation", args=[token])
                    ),
                    **form.cleaned_data,
                )
            except services.AccountError as error:
                form.add_error("email", str(error))
            else:
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("staff_people")
    else:
        form = InvitationForm()
    return render(request, "staff/invite.html", {"form": form})


def accept_invitation(request, token: str):
    invitation = Invitation.objects.filter(token=token).first()
    if invitation is None or not invitation.is_usable:
        return render(request, "accounts/invitation_invalid.html", status=404)
    if request.method == "POST":
        form = AcceptInvitationForm(request.POST)
        if form.is_valid():
            try:
                user = services.accept_invitation(
                    token=token,
                    display_name=form.cleaned_data["display_name"],
                    password=form.cleaned_data["password1"],
                )
            except services.AccountError as error:
                form.add_error(None, str(error))
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, "Welcome to Village.")
                return redirect("home")
    else:
        form = AcceptInvitationForm()
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation}
    )
