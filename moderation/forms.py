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


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(choices=Flag.Outcome.choices, label="Outcome")
    note = FreeTextField(
        required=False, max_length=2000, label="Note", widget=forms.Textarea(attrs={"rows": 2})
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
