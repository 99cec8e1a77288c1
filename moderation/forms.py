from django import forms

from moderation.models import AuditAction


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        required=False,
        choices=[("", "Any action"), *AuditAction.LABELS.items()],
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
