from django import forms

from accounts.models import User
from audit.registry import action_choices
from moderation.models import Flag

NUL_REFUSED = (
    "This has a hidden character in it (a NUL byte) that Village can't keep. "
    "Please type it again, or paste it as plain text."
)


class FreeTextField(forms.CharField):
    """Words a person writes for the record (audit reasons, notes, concerns):
    always with a length limit, and a NUL byte refused in plain words (the
    database cannot store one, and the audit log keeps whatever it is given)."""

    def __init__(self, *, max_length: int, **kwargs):
        kwargs.setdefault("strip", True)
        error_messages = {
            "max_length": "Please keep this to %(limit_value)s characters or fewer "
            "(it has %(show_value)s).",
            "null_characters_not_allowed": NUL_REFUSED,
            **kwargs.pop("error_messages", {}),
        }
        super().__init__(max_length=max_length, error_messages=error_messages, **kwargs)


def errors_in_words(form: forms.Form) -> str:
    """The form's errors in one plain sentence, for a message at the top of the queue."""
    words = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        words.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(words)


# --- the queue's actions -------------------------------------------------------------


class EscalateForm(forms.Form):
    note = FreeTextField(
        required=False,
        max_length=1000,
        label="Anything the coordinators should know",
        widget=forms.Textarea(attrs={"rows": 2}),
    )


# The risk categories in the words coordinators use (SAFEGUARDING.md's slugs).
CATEGORY_WORDS = {
    "self_harm": "Self-harm or suicide",
    "baby_harm": "Harm to the baby",
    "psychosis": "Signs of postpartum psychosis",
    "abuse_dv": "Domestic abuse, or a child being harmed",
    "contact": "Contact details, or moving off Village",
    "hostility": "Hostility to someone in the room",
}
CATEGORY_CHOICES = [(slug, words) for slug, words in CATEGORY_WORDS.items()]

VERDICT_MISSING = "Please say whether this flag was right before you resolve it."
CATEGORY_MISSING = "Please choose the category it should have been."


class ResolveForm(forms.Form):
    """Resolve a flag; for a flag on a message, "Was this right?" as well (a label).

    Whether the question is asked comes from the flag (`flag=`), or, where the
    page was built with one form for every card (the queue), from the hidden
    `verdict_asked` the card's form carries. The cleaned data is resolve_flag's
    keyword arguments.
    """

    outcome = forms.ChoiceField(choices=Flag.Outcome.choices, label="Outcome")
    note = FreeTextField(
        required=False, max_length=2000, label="Note", widget=forms.Textarea(attrs={"rows": 2})
    )
    verdict = forms.ChoiceField(
        required=False,
        label="Was this right?",
        choices=[
            ("right", "Right"),
            ("wrong_category", "Right concern, wrong category"),
            ("not_a_risk", "Not a risk"),
        ],
        widget=forms.RadioSelect,
    )
    category = forms.ChoiceField(
        required=False,
        label="If the category was wrong, what should it have been?",
        choices=[("", "Choose a category"), *CATEGORY_CHOICES],
    )
    verdict_asked = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, flag: Flag | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.flag = flag

    def asks_verdict(self) -> bool:
        from moderation import policy

        if self.flag is not None:
            return policy.asks_verdict(self.flag)
        return bool(self.cleaned_data.get("verdict_asked"))

    def clean(self):
        cleaned = super().clean()
        asked = self.asks_verdict()
        cleaned.pop("verdict_asked", None)
        if not asked:
            cleaned["verdict"], cleaned["category"] = "", ""
            return cleaned
        verdict = cleaned.get("verdict")
        if not verdict:
            self.add_error("verdict", VERDICT_MISSING)
        elif verdict == "wrong_category" and not cleaned.get("category"):
            self.add_error("category", CATEGORY_MISSING)
        elif verdict != "wrong_category":
            cleaned["category"] = ""
        return cleaned


class MissedRiskForm(forms.Form):
    """Mark a published message as a risk screening missed."""

    category = forms.ChoiceField(
        choices=[("", "Choose the kind of risk"), *CATEGORY_CHOICES],
        label="What kind of risk did screening miss?",
        error_messages={"required": "Please choose the kind of risk it is."},
    )
    note = FreeTextField(
        required=False,
        max_length=500,
        label="Anything the coordinators should know (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WarnForm(forms.Form):
    note = FreeTextField(
        max_length=1000, label="Private note to her", widget=forms.Textarea(attrs={"rows": 2})
    )


class MuteForm(forms.Form):
    scope = forms.ChoiceField(
        choices=[("room", "In this room"), ("all", "In every room")], label="Where"
    )
    minutes = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (60, "1 hour"),
            (240, "4 hours"),
            (1440, "1 day"),
            (10080, "1 week"),
            (0, "Until lifted"),
        ],
        label="For how long",
    )
    reason = FreeTextField(max_length=500, label="Reason")


class ReasonForm(forms.Form):
    reason = FreeTextField(max_length=500, label="Reason")


class ConcernForm(forms.Form):
    member = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Who are you worried about?"
    )
    level = forms.ChoiceField(
        choices=[
            ("AMBER", "Amber: please look at this today"),
            ("RED", "Red: she may be in danger now"),
        ],
        label="How urgent is it?",
    )
    note = FreeTextField(
        max_length=2000, label="What worries you?", widget=forms.Textarea(attrs={"rows": 4})
    )


class RuleSwitchForm(forms.Form):
    """A rule's on/off switch on the list, with the list's filters to go back to."""

    enabled = forms.ChoiceField(choices=[("on", "On"), ("off", "Off")], required=False)
    query = forms.CharField(required=False, max_length=1000)


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        required=False,
        # Called when the form is built: every app has registered its actions by then.
        choices=lambda: [("", "Any action"), *action_choices()],
    )
    actor = forms.CharField(required=False, max_length=40, label="By (display name)")
    target = forms.CharField(required=False, max_length=100, label="About")
    since = forms.DateField(required=False, widget=DateInput, label="From")
    until = forms.DateField(required=False, widget=DateInput, label="To")

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        return cleaned
