"""Forms for people: signup, profile, staff actions. Validation only; services write."""

from __future__ import annotations

import re
from datetime import date

from allauth.account.forms import SignupForm
from django import forms
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from accounts import display_names, services
from accounts.consent import HEALTH_DATA_CONSENT_TEXT
from accounts.eligibility import check_eligibility
from accounts.models import (
    ReferralSource,
    Role,
    Stage,
    User,
)

UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{8,18}[0-9]$")


class DateInput(forms.DateInput):
    """A browser date picker; its value must be ISO (YYYY-MM-DD) whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs=attrs, format=format)


def clean_display_name(value: str, *, role: str = Role.MEMBER, person: User | None = None) -> str:
    """A display name `person` (None while signing up) with `role` may use.

    The rules (hidden characters, look-alikes of the team's names, role
    words) are accounts.display_names'.
    """
    name = display_names.check_display_name(value, role=role, person=person)
    if "@" in name:
        raise forms.ValidationError("Please choose a name that isn't an email address.")
    return name


def clean_phone(value: str) -> str:
    value = value.strip()
    if not PHONE.match(value) or not 10 <= len(re.sub(r"\D", "", value)) <= 13:
        raise forms.ValidationError("Please enter a phone number, like 07700 900123.")
    return value


class EligibilityForm(forms.Form):
    """The first step of signing up: is Village for her? Nothing is stored yet.

    After validation, `ineligible` is True when her child is two or over: the
    page then says kindly where else to go.
    """

    stage = forms.ChoiceField(choices=Stage.choices, widget=forms.RadioSelect, label="Are you…")
    due_date = forms.DateField(
        required=False, widget=DateInput, label="Due date", help_text="If you're pregnant."
    )
    baby_birth_date = forms.DateField(
        required=False,
        widget=DateInput,
        label="Your baby's date of birth",
        help_text="If your baby is born. Use your youngest child's date of birth.",
    )
    referral_source = forms.ChoiceField(
        choices=ReferralSource.choices, label="How did you hear about us?"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ineligible = False

    def clean(self):
        cleaned = super().clean()
        stage = cleaned.get("stage")
        if stage:
            result = check_eligibility(
                pregnant=stage == Stage.PREGNANT,
                due_date=cleaned.get("due_date"),
                baby_birth_date=cleaned.get("baby_birth_date"),
                today=timezone.localdate(),
            )
            if result.reason == "child_too_old":
                self.ineligible = True
                self.add_error(
                    "baby_birth_date",
                    "Village is for mums who are pregnant or whose baby is under two.",
                )
            elif not result.eligible:
                field = "due_date" if stage == Stage.PREGNANT else "baby_birth_date"
                self.add_error(field, result.reason)
        return cleaned

    def answers(self) -> dict:
        """What the next steps need, as session-safe values (ISO dates)."""
        data = self.cleaned_data
        pregnant = data["stage"] == Stage.PREGNANT
        due, born = data.get("due_date"), data.get("baby_birth_date")
        return {
            "stage": data["stage"],
            "due_date": due.isoformat() if pregnant and due else "",
            "baby_birth_date": born.isoformat() if not pregnant and born else "",
            "referral_source": data["referral_source"],
        }


class MemberSignupForm(SignupForm):
    """The account step of a mum's sign-up: email, password and display name.

    Her eligibility answers come from the step before (`eligibility`, kept in
    her session). Her private safeguarding details and health-data consent
    are asked only after her address is proven (`PrivateDetailsForm`), so
    that someone who registers her address first leaves nothing on her
    account that she did not enter herself. `fixed_email`, from her referral
    link, is the only address the account may have.
    """

    display_name = forms.CharField(
        max_length=40,
        label="Display name",
        help_text="Others in Village see this name. It doesn't have to be your real name.",
    )

    field_order = ["email", "password1", "password2", "display_name"]

    def __init__(self, *args, eligibility: dict | None = None, fixed_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.eligibility = eligibility
        if fixed_email:
            # Her referral's link went to this address: the account is for it alone.
            email = self.fields["email"]
            email.disabled = True
            email.initial = fixed_email
            self.initial["email"] = fixed_email
            email.help_text = "Your invitation was sent here, so your account uses it."

    def clean_display_name(self) -> str:
        return clean_display_name(self.cleaned_data["display_name"])

    def clean(self):
        cleaned = super().clean()
        if not self.eligibility:
            raise forms.ValidationError(
                "Please start again from the first step: we need to know a little about you first."
            )
        return cleaned

    def try_save(self, request):
        """allauth's save, which makes no account for an address that has one (and
        emails its owner instead); here that path does the same costly work as a
        new account, so that its timing does not tell whether the address is known.
        """
        if self.account_already_exists:
            # The hash a new account's password gets (set_password), thrown away.
            make_password(self.cleaned_data["password1"])
        return super().try_save(request)

    def save(self, request):
        answers = self.eligibility or {}
        with transaction.atomic():
            user = super().save(request)
            services.complete_member_signup(
                user=user,
                display_name=self.cleaned_data["display_name"],
                stage=answers["stage"],
                due_date=_iso_date(answers.get("due_date")),
                baby_birth_date=_iso_date(answers.get("baby_birth_date")),
                referral_source=answers["referral_source"],
            )
        return user


def _iso_date(value: str | None):
    return date.fromisoformat(value) if value else None


class PrivateDetailsForm(forms.Form):
    """Her private safeguarding details and health-data consent, once her address is proven."""

    real_name = forms.CharField(max_length=120, label="Your full name")
    phone = forms.CharField(max_length=32, label="Your phone number")
    postcode = forms.CharField(max_length=10, label="Your postcode")
    gp_practice = forms.CharField(max_length=120, label="Your GP practice")
    emergency_contact_name = forms.CharField(max_length=120, label="Emergency contact's name")
    emergency_contact_phone = forms.CharField(max_length=32, label="Emergency contact's phone")
    health_consent = forms.BooleanField(
        required=True,
        label=HEALTH_DATA_CONSENT_TEXT,
        error_messages={
            "required": "We need your consent to keep what you share, to support you safely."
        },
    )

    private_fields = (
        "real_name",
        "phone",
        "postcode",
        "gp_practice",
        "emergency_contact_name",
        "emergency_contact_phone",
    )

    def clean_postcode(self) -> str:
        postcode = " ".join(self.cleaned_data["postcode"].upper().split())
        if not UK_POSTCODE.match(postcode):
            raise forms.ValidationError("Please enter a UK postcode, like SW1A 1AA.")
        return postcode

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def clean_emergency_contact_phone(self) -> str:
        return clean_phone(self.cleaned_data["emergency_contact_phone"])

    def safeguarding(self) -> services.SafeguardingInput:
        return services.SafeguardingInput(
            **{name: self.cleaned_data[name].strip() for name in self.private_fields}
        )


class ConfirmWithPasswordForm(forms.Form):
    """Confirming an address away from the browser that signed up: her password too.

    The link alone proves only that someone can read the mailbox; the password
    alone, only that someone chose it. Together they are the person who
    signed up, and the address is hers.
    """

    password = forms.CharField(widget=forms.PasswordInput, label="Your password")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                "That password isn't right. If you didn't sign up, or you've forgotten it, "
                "you can set a new one with “Forgotten your password?”."
            )
        return password


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=40,
        label="Display name",
        help_text="Others in Village see this name.",
    )
    notify_direct_messages = forms.BooleanField(
        required=False,
        label="Email me when my 1:1 chat has a new message (at most once an hour)",
    )
    notify_session_opens = forms.BooleanField(
        required=False, label="Email me when my group's session opens"
    )
    show_online = forms.BooleanField(
        required=False, label="Let others in my rooms see when I'm online"
    )

    def __init__(self, *args, person: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Whose profile it is: her own name never counts against her.
        self.person = person

    def clean_display_name(self) -> str:
        person = self.person
        return clean_display_name(
            self.cleaned_data["display_name"],
            role=person.role if person is not None else Role.MEMBER,
            person=person,
        )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(
        choices=[(Role.VOLUNTEER, "Volunteer"), (Role.COORDINATOR, "Coordinator")],
        label="Role",
    )


class AcceptInvitationForm(forms.Form):
    display_name = forms.CharField(max_length=40, label="Display name")
    password1 = forms.CharField(widget=forms.PasswordInput, label="Password")
    password2 = forms.CharField(widget=forms.PasswordInput, label="Password (again)")

    def clean_display_name(self) -> str:
        # An invitation is always to the team: the staff rules apply.
        return clean_display_name(self.cleaned_data["display_name"], role=Role.VOLUNTEER)

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords don't match.")
        elif first:
            try:
                validate_password(first)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class RoleChangeForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label="New role")
    reason = forms.CharField(max_length=500, label="Why is the role changing?")


class SafeguardingAccessForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        label="Why do you need these details?",
        help_text="Recorded in the audit log with your name.",
    )


class CloseAccountForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput, label="Your password")
    understood = forms.BooleanField(
        label="I understand that my account and what I wrote will be removed, and that this "
        "can't be undone."
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password isn't right.")
        return password


class PeopleSearchForm(forms.Form):
    """The People page's search (GET): part of a name or email, and a role.

    Read through a form so that odd input gets a message, not a server error:
    PostgreSQL cannot search for a NUL character, and a long search is no name.
    """

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Name or email",
        error_messages={
            "max_length": "Please search with at most 100 characters.",
            "null_characters_not_allowed": "Please take out the unusual character.",
        },
    )
    role = forms.ChoiceField(required=False, choices=[("", "Any role"), *Role.choices])
