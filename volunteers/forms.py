"""Forms for volunteers' records and their own choices. Validation only; services write."""

from __future__ import annotations

from django import forms

from accounts.forms import DateInput
from accounts.models import ExperienceTag, Language, Role, User, VolunteerStatus


class VolunteerStatusForm(forms.Form):
    status = forms.ChoiceField(choices=VolunteerStatus.choices, label="New status")
    reason = forms.CharField(
        max_length=500,
        label="Why is her status changing?",
        help_text="Kept in the audit log.",
    )


class DBSCheckForm(forms.Form):
    checked_on = forms.DateField(widget=DateInput, label="Date of the DBS check")
    expires_on = forms.DateField(
        widget=DateInput,
        label="Renew by",
        help_text="The date the service's policy says the check must be renewed.",
    )
    certificate = forms.CharField(
        max_length=20, required=False, label="Certificate number (optional)"
    )


class CaseloadForm(forms.Form):
    caseload_cap = forms.IntegerField(
        min_value=1,
        max_value=10,
        required=False,
        label="Most active 1:1 chats",
        help_text="Empty: the service's default.",
    )


class TrainingForm(forms.Form):
    course = forms.CharField(max_length=120, label="Course")
    completed_on = forms.DateField(widget=DateInput, label="Completed on")


class ReferenceForm(forms.Form):
    referee_name = forms.CharField(max_length=120, label="Referee's name")
    relationship = forms.CharField(max_length=120, label="How they know her")
    received_on = forms.DateField(widget=DateInput, label="Received on")
    satisfactory = forms.BooleanField(required=False, initial=True, label="Satisfactory")


class SupervisionForm(forms.Form):
    held_on = forms.DateField(widget=DateInput, label="Date")
    supervisor = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Supervisor", empty_label="Choose a coordinator"
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Short note",
        help_text="Seen by coordinators only, never by the volunteer.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = User.objects.filter(
            role=Role.COORDINATOR, is_active=True, anonymised_at__isnull=True
        ).order_by("display_name")


class OwnVolunteeringForm(forms.Form):
    languages = forms.MultipleChoiceField(
        choices=Language.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Languages you can chat in",
        error_messages={"required": "Please choose at least one language."},
    )
    experience_tags = forms.MultipleChoiceField(
        choices=ExperienceTag.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Lived experience you're happy to share",
        help_text="Only coordinators see this, to pair you with a mum who asked for "
        "someone who has been there too. Choose none if you'd rather not say.",
    )
    availability = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="When you're usually available",
        help_text="For example: weekday mornings, Tuesday evenings.",
    )


class HandOverForm(forms.Form):
    volunteer = forms.ModelChoiceField(
        queryset=User.objects.none(), label="New volunteer", empty_label="Choose a volunteer"
    )
    reason = forms.CharField(
        max_length=500, label="Reason", initial="Her volunteer is no longer available."
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = candidates
        self.fields["volunteer"].label_from_instance = lambda person: person.display_name


class DebriefForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Anything you'd like the coordinator to know first (optional)",
    )
