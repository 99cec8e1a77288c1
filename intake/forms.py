"""Forms for referrals: the public form and the triage actions. Validation only."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django import forms
from django.utils import timezone

from accounts.eligibility import check_eligibility
from accounts.forms import DateInput, clean_phone
from accounts.models import ExperienceTag, Language, ReferralSource, Stage, SupportWanted
from intake.models import ConsentGivenBy
from intake.screen import SCREEN_QUESTIONS
from intake.services import ReferralDetails

# A due date this long past is a mistake (or her baby is born), not a pregnancy.
MAX_DAYS_PAST_DUE = 42
# secrets.token_urlsafe(24): 32 characters of the URL-safe alphabet.
SUBMISSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")

ROLE_CHOICES = [("", "Choose one")] + [
    (
        value,
        "The mum herself (a self-referral)" if value == ReferralSource.SELF else label,
    )
    for value, label in ReferralSource.choices
]
STAGE_CHOICES = [(Stage.PREGNANT, "Pregnant"), (Stage.BABY, "Her baby is born")]
YES_NO = [("yes", "Yes"), ("no", "No")]

# Where else to turn: shown to someone not eligible, and the default message
# to a mum whose referral is declined. Discreet enough for an email someone
# else may read: no word about why she was referred.
SIGNPOSTS = (
    "Your health visitor or GP can tell you about support near you.",
    "Home-Start: volunteers who visit families with young children at home (home-start.org.uk).",
    "PANDAS Foundation helpline: 0808 1961 776, for parents during pregnancy and after birth.",
    "Mind's Infoline: 0300 123 3393, to find support near you.",
    "Family Lives: 0808 800 2222, for any parent, about anything.",
    "Samaritans: 116 123, free, any time, if you need to talk now.",
)
DEFAULT_SIGNPOSTING = (
    "Thank you for getting in touch. We're sorry that we can't offer you a place just now. "
    "You deserve support, and these services can help:\n\n"
    + "\n".join(f"- {line}" for line in SIGNPOSTS)
    + "\n\nIf you or your baby are in danger, call 999."
)
DISCREET_WORDS = ("mental health",)


def _screen_field(question: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=question,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Please answer yes or no."},
    )


class ReferralForm(forms.Form):
    """The public referral form, for professionals and for mums referring themselves.

    After validation, `ineligible` is True when her baby is two or over: the
    form is valid (the page then says where else to go) but nothing is kept
    unless the safety screen said yes.
    """

    referrer_role = forms.ChoiceField(
        choices=ROLE_CHOICES,
        label="Who is filling in this form?",
        error_messages={"required": "Please tell us who is referring her."},
    )
    referrer_name = forms.CharField(max_length=120, required=False, label="Your name")
    referrer_organisation = forms.CharField(
        max_length=160, required=False, label="Your organisation or team"
    )
    referrer_email = forms.EmailField(
        required=False,
        label="Your work email",
        help_text="We'll write to you here if we need to know more.",
    )
    referrer_phone = forms.CharField(
        max_length=32, required=False, label="Your work phone (optional)"
    )

    mum_name = forms.CharField(max_length=120, label="Her name")
    mum_email = forms.EmailField(
        label="Her email address",
        help_text="Her invitation to join goes here. Our emails are discreet: a plain sender "
        "and subject, and nothing about why she was referred.",
    )
    mum_phone = forms.CharField(max_length=32, required=False, label="Her phone (optional)")
    stage = forms.ChoiceField(
        choices=STAGE_CHOICES,
        widget=forms.RadioSelect,
        label="Is she pregnant, or is her baby born?",
        error_messages={"required": "Please tell us whether she is pregnant or her baby is born."},
    )
    due_date = forms.DateField(
        required=False, widget=DateInput, label="Due date", help_text="If she's pregnant."
    )
    baby_birth_date = forms.DateField(
        required=False,
        widget=DateInput,
        label="Baby's date of birth",
        help_text="If her baby is born. Her youngest child's date of birth.",
    )
    language = forms.ChoiceField(
        choices=Language.choices, initial=Language.ENGLISH, label="Language she prefers"
    )
    interpreter_needed = forms.BooleanField(required=False, label="She would need an interpreter")

    support_wanted = forms.ChoiceField(
        choices=SupportWanted.choices,
        widget=forms.RadioSelect,
        label="What would she like?",
        error_messages={"required": "Please choose a group, 1:1 befriending, or either."},
    )
    experience_wanted = forms.MultipleChoiceField(
        choices=ExperienceTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Would she like a volunteer who has been through any of these? (optional)",
    )
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
        label="In a few words, why is she looking for support?",
        help_text="Up to 1,000 characters. Only what she is happy for us to know.",
        error_messages={"required": "Please tell us, in a few words, why she'd like support."},
    )

    screen_suicide_plan = _screen_field(dict(SCREEN_QUESTIONS)["screen_suicide_plan"])
    screen_psychosis = _screen_field(dict(SCREEN_QUESTIONS)["screen_psychosis"])
    screen_baby_harm = _screen_field(dict(SCREEN_QUESTIONS)["screen_baby_harm"])
    screen_unsafe_at_home = _screen_field(dict(SCREEN_QUESTIONS)["screen_unsafe_at_home"])

    consent_contact = forms.BooleanField(
        label="She agrees that we may contact her by email (and by phone, if given) about joining.",
        error_messages={"required": "We can only take a referral if she agrees to be contacted."},
    )
    consent_data = forms.BooleanField(
        label="She agrees that we may keep the details on this form, including about her "
        "health, to decide how best to support her.",
        error_messages={
            "required": "We can only take a referral if she agrees that we keep her details."
        },
    )
    consent_share_outcome = forms.BooleanField(
        required=False,
        label="She agrees that we may tell the person referring her whether she has been "
        "offered a place (not for self-referrals).",
    )
    consent_given_by = forms.ChoiceField(
        choices=ConsentGivenBy.choices,
        widget=forms.RadioSelect,
        label="Who gave this consent?",
        error_messages={"required": "Please tell us who gave this consent."},
    )

    # A honeypot: hidden from people (and screen readers); bots fill it in.
    website = forms.CharField(required=False, label="Leave this empty")
    # Issued with the form, so that sending it twice stores one referral.
    submission_token = forms.CharField(required=False, widget=forms.HiddenInput)

    screen_fields = tuple(name for name, _question in SCREEN_QUESTIONS)
    referrer_fields = ("referrer_name", "referrer_organisation", "referrer_email", "referrer_phone")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.ineligible = False
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if not self.is_bound:
            self.initial["submission_token"] = new_submission_token()
        elif not is_submission_token(self.data.get("submission_token", "")):
            # A form from before tokens, or a mangled one: it gets a token now, so
            # that the page shown again (on an error) sends one from then on.
            self.data = self.data.copy()
            self.data["submission_token"] = new_submission_token()

    @property
    def is_spam(self) -> bool:
        """The honeypot was filled in (read from the raw data: no validation needed)."""
        return bool(self.data.get("website", "").strip())

    @property
    def is_self_referral(self) -> bool:
        return self.data.get("referrer_role") == ReferralSource.SELF

    def clean_submission_token(self) -> str | None:
        value = self.cleaned_data["submission_token"]
        return value if is_submission_token(value) else None

    def clean_mum_phone(self) -> str:
        value = self.cleaned_data["mum_phone"].strip()
        return clean_phone(value) if value else ""

    def clean_referrer_phone(self) -> str:
        value = self.cleaned_data["referrer_phone"].strip()
        return clean_phone(value) if value else ""

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"].strip()

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("referrer_role")
        if role == ReferralSource.SELF:
            # Nobody else is involved: no referrer details, nobody to tell.
            for name in self.referrer_fields:
                cleaned[name] = ""
            cleaned["consent_share_outcome"] = False
            if cleaned.get("consent_given_by") == ConsentGivenBy.MUM_TO_REFERRER:
                self.add_error(
                    "consent_given_by",
                    "You're referring yourself, so choose “The mum herself, filling in this form”.",
                )
        elif role:
            required = {
                "referrer_name": "Please tell us your name.",
                "referrer_organisation": "Please tell us your organisation or team.",
                "referrer_email": "Please give your work email, so that we can reach you.",
            }
            for name, message in required.items():
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, message)
        self._clean_dates(cleaned)
        return cleaned

    def _clean_dates(self, cleaned: dict) -> None:
        stage = cleaned.get("stage")
        if not stage:
            return
        today = timezone.localdate()
        pregnant = stage == Stage.PREGNANT
        date_field = "due_date" if pregnant else "baby_birth_date"
        if date_field in self.errors:  # not a date at all: that error says it
            return
        result = check_eligibility(
            pregnant=pregnant,
            due_date=cleaned.get("due_date"),
            baby_birth_date=cleaned.get("baby_birth_date"),
            today=today,
        )
        if result.reason == "child_too_old":
            self.ineligible = True
        elif not result.eligible:
            self.add_error(date_field, _about_her(result.reason))
        elif pregnant and cleaned["due_date"] < today - timedelta(days=MAX_DAYS_PAST_DUE):
            self.add_error(
                "due_date",
                "That due date is more than six weeks ago. If her baby is born, choose "
                "“Her baby is born” and give the date of birth.",
            )
        # Only the date that goes with her stage is kept.
        cleaned["baby_birth_date" if pregnant else "due_date"] = None

    def details(self) -> ReferralDetails:
        """The validated referral, for `services.submit_referral`."""
        data = self.cleaned_data
        return ReferralDetails(
            **{
                name: data[name]
                for name in ReferralDetails.__dataclass_fields__
                if name not in self.screen_fields
            },
            **{name: bool(data[name]) for name in self.screen_fields},
        )

    @property
    def screen_said_yes(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.screen_fields)


def new_submission_token() -> str:
    return secrets.token_urlsafe(24)


def is_submission_token(value: str) -> bool:
    return bool(SUBMISSION_TOKEN.fullmatch(value or ""))


def _about_her(reason: str) -> str:
    """The eligibility check speaks to the mum herself; this form is about her."""
    return (
        reason.replace("your baby's", "her baby's")
        .replace("your due date", "her due date")
        .replace("Please tell us your", "Please tell us her")
    )


# --- triage ------------------------------------------------------------------------


def _refuse_words_to_avoid(text: str) -> str:
    lowered = text.lower()
    for words in DISCREET_WORDS:
        if words in lowered:
            raise forms.ValidationError(
                f"Please leave out the words “{words}”: someone else may read her email."
            )
    return text


class InfoRequestForm(forms.Form):
    note = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What do you need to know?",
        error_messages={"required": "Please say what you need to know."},
    )

    def __init__(self, *args, to_mum: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.to_mum = to_mum
        self.fields["note"].help_text = (
            "Emailed to her (she referred herself). Keep it short and discreet: someone else "
            "may read her email."
            if to_mum
            else "Emailed to the person who referred her; replies come to your email."
        )

    def clean_note(self) -> str:
        note = self.cleaned_data["note"].strip()
        return _refuse_words_to_avoid(note) if self.to_mum else note


class InfoReceivedForm(forms.Form):
    note = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What did you hear back?",
        help_text="Kept in the referral's timeline. The referral goes back to “to triage”.",
        error_messages={"required": "Please note what you heard back."},
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why are we declining? (internal)",
        help_text="Only coordinators see this. It is not sent to anyone.",
        error_messages={"required": "Please give the reason for declining."},
    )
    signposting = forms.CharField(
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Message to her: where else she can find support",
        help_text="Emailed to her. Also sent to the person who referred her, if she agreed "
        "that they may be told the outcome.",
        initial=DEFAULT_SIGNPOSTING,
        error_messages={"required": "Please tell her where else she can find support."},
    )

    def clean_signposting(self) -> str:
        return _refuse_words_to_avoid(self.cleaned_data["signposting"].strip())


class JoinCodeForm(forms.Form):
    """The short code she was told by phone, asked at her sign-up link."""

    code = forms.CharField(
        max_length=12,
        label="Your code",
        help_text="Six numbers. The person who told you about Village gave it to you by phone.",
        error_messages={"required": "Please type the code you were given."},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["code"] if ch.isdigit())
        if len(digits) != 6:
            raise forms.ValidationError("The code is six numbers, like 123 456.")
        return digits
