"""Forms of the coordinators' room and pairing pages. Validation only; services write."""

from __future__ import annotations

from datetime import time, timedelta

from django import forms
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from accounts.forms import DateInput
from accounts.models import Role, User
from accounts.policy import cleared_volunteers_q
from chat.models import Membership, Pairing, Room, ScheduleSlot
from chat.policy import can_lead_q

MIN_CAPACITY, MAX_CAPACITY = 1, 50
MIN_MINUTES, MAX_MINUTES = 15, 480
MAX_SLOTS = 14

CAPACITY_ERROR = f"A room takes between {MIN_CAPACITY} and {MAX_CAPACITY} members."
MINUTES_ERROR = f"A meeting lasts between {MIN_MINUTES} and {MAX_MINUTES} minutes."


def active_people(role: str | list[str]):
    """People who still use Village (not deactivated, not anonymised), by role."""
    roles = [role] if isinstance(role, str) else role
    return User.objects.filter(role__in=roles, is_active=True, anonymised_at__isnull=True)


# --- Rooms -----------------------------------------------------------------------------


class RoomForm(forms.ModelForm):
    """A group room's details; the weekly times are a separate formset."""

    capacity = forms.IntegerField(
        label="Capacity",
        min_value=MIN_CAPACITY,
        max_value=MAX_CAPACITY,
        initial=12,
        help_text=(
            f"The most members the room takes ({MIN_CAPACITY} to {MAX_CAPACITY}). "
            "Lead volunteers don't count."
        ),
        error_messages={
            "required": "Please say how many members the room takes.",
            "invalid": CAPACITY_ERROR,
            "min_value": CAPACITY_ERROR,
            "max_value": CAPACITY_ERROR,
        },
    )

    class Meta:
        model = Room
        fields = ["name", "description", "capacity", "always_open", "allows_join_requests"]
        labels = {
            "name": "Room name",
            "description": "What the room is for",
            "always_open": "Always open",
            "allows_join_requests": "Members may ask to join",
        }
        help_texts = {
            "description": "Members see this when they look at the room.",
            "always_open": "Members may post at any time, without a session.",
            "allows_join_requests": "You approve or decline each request here.",
        }
        error_messages = {"name": {"required": "Please give the room a name."}}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ScheduleSlotForm(forms.Form):
    """One weekly meeting time."""

    weekday = forms.TypedChoiceField(
        label="Day",
        coerce=int,
        choices=[("", "Choose a day")] + ScheduleSlot.Weekday.choices,
        error_messages={"required": "Please choose a day."},
    )
    starts_at = forms.TimeField(
        label="Starts at",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": "Please give a start time.",
            "invalid": "Please give a time like 10:30.",
        },
    )
    duration_minutes = forms.IntegerField(
        label="Length in minutes",
        min_value=MIN_MINUTES,
        max_value=MAX_MINUTES,
        initial=60,
        error_messages={
            "required": "Please say how long it lasts.",
            "invalid": MINUTES_ERROR,
            "min_value": MINUTES_ERROR,
            "max_value": MINUTES_ERROR,
        },
    )


class BaseScheduleFormSet(forms.BaseFormSet):
    """The weekly times: blank extra rows are ignored, ticked rows are removed."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = "Remove this time"

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for weekday, starts_at, _ in self.slots():
            if (weekday, starts_at) in seen:
                raise forms.ValidationError(
                    "Two of the times start on the same day at the same time. Please remove one."
                )
            seen.add((weekday, starts_at))

    def slots(self) -> list[tuple[int, time, int]]:
        """(weekday, start time, minutes) of the rows kept; call after is_valid()."""
        return [
            (
                form.cleaned_data["weekday"],
                form.cleaned_data["starts_at"],
                form.cleaned_data["duration_minutes"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


ScheduleFormSet = forms.formset_factory(
    ScheduleSlotForm,
    formset=BaseScheduleFormSet,
    extra=2,
    can_delete=True,
    can_delete_extra=False,
    max_num=MAX_SLOTS,
    validate_max=True,
)


def schedule_formset(*, data=None, room: Room | None = None) -> BaseScheduleFormSet:
    """The weekly-times formset: the room's slots, then blank rows to add more."""
    initial = []
    if room is not None:
        initial = [
            {"weekday": s.weekday, "starts_at": s.starts_at, "duration_minutes": s.duration_minutes}
            for s in room.schedule.all()
        ]
    return ScheduleFormSet(data, initial=initial, prefix="slot")


# --- People in a room --------------------------------------------------------------------


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class LeadChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.get_role_display().lower()})"


class AssignLeadForm(forms.Form):
    lead = LeadChoiceField(
        queryset=User.objects.none(),
        label="Volunteer or coordinator",
        empty_label="Choose someone",
        error_messages={"required": "Please choose who will lead the room."},
    )

    def __init__(self, *args, room: Room, **kwargs):
        super().__init__(*args, **kwargs)
        leading = Membership.objects.filter(
            room=room, user=OuterRef("pk"), role=Membership.Role.LEAD, removed_at__isnull=True
        )
        self.fields["lead"].queryset = User.objects.filter(can_lead_q()).filter(~Exists(leading))


class EnrolMemberForm(forms.Form):
    member = PersonChoiceField(
        queryset=User.objects.none(),
        label="Member",
        empty_label="Choose a member",
        error_messages={"required": "Please choose a member to enrol."},
    )

    def __init__(self, *args, room: Room, **kwargs):
        super().__init__(*args, **kwargs)
        in_room = Membership.objects.filter(room=room, user=OuterRef("pk"), removed_at__isnull=True)
        self.fields["member"].queryset = active_people(Role.MEMBER).filter(~Exists(in_room))


class RemovalForm(forms.Form):
    """Taking someone out of a room; the reason goes to the audit log."""

    reason = forms.CharField(max_length=500)

    def __init__(self, *args, person: User, reason_required: bool, **kwargs):
        kwargs.setdefault("prefix", f"remove-{person.pk}")
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.required = reason_required
        if reason_required:
            field.label = f"Why is {person.display_name} leaving the room?"
            field.help_text = "Kept in the audit log. She doesn't see it."
            field.error_messages["required"] = "Please give a reason for removing her."
        else:
            field.label = "A note for the audit log (optional)"


# --- Pairings -----------------------------------------------------------------------------


class VolunteerChoiceField(forms.ModelChoiceField):
    """Each volunteer with her caseload: "Val (2 of 3 active)"."""

    def label_from_instance(self, obj: User) -> str:
        cap = obj.volunteer_record.cap
        full = ", full" if obj.active_pairings >= cap else ""
        return f"{obj.display_name} ({obj.active_pairings} of {cap} active{full})"


def cleared_volunteers():
    """Volunteers who may be paired today, with their active 1:1 chats counted."""
    return (
        User.objects.filter(cleared_volunteers_q())
        .select_related("volunteer_record")
        .annotate(
            active_pairings=Count(
                "pairings_as_volunteer",
                filter=Q(pairings_as_volunteer__ended_at__isnull=True),
            )
        )
        .order_by("display_name")
    )


def unpaired_members():
    paired = Pairing.objects.filter(member=OuterRef("pk"), ended_at__isnull=True)
    return active_people(Role.MEMBER).filter(~Exists(paired)).order_by("display_name")


class ChooseMemberForm(forms.Form):
    """The first step of pairing: whom is she for? (GET: shows her matches)"""

    member = PersonChoiceField(
        queryset=User.objects.none(),
        label="Member",
        empty_label="Choose a member",
        help_text="Members who don't have a volunteer yet.",
        error_messages={"required": "Please choose a member."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = unpaired_members()


class PairingForm(forms.Form):
    member = forms.ModelChoiceField(queryset=User.objects.none(), widget=forms.HiddenInput)
    volunteer = VolunteerChoiceField(
        queryset=User.objects.none(),
        label="Volunteer",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Please choose a volunteer."},
    )
    planned_end = forms.DateField(
        widget=DateInput,
        label="Planned ending",
        help_text="Befriending has a planned ending; you can end it earlier.",
    )

    def __init__(self, *args, volunteers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = unpaired_members()
        self.fields["volunteer"].queryset = (
            volunteers if volunteers is not None else cleared_volunteers()
        )
        self.fields["planned_end"].initial = timezone.localdate() + timedelta(
            weeks=settings.VILLAGE_PAIRING_WEEKS
        )

    def clean_planned_end(self):
        planned_end = self.cleaned_data["planned_end"]
        if planned_end <= timezone.localdate():
            raise forms.ValidationError("The planned ending must be after today.")
        return planned_end


class EndPairingForm(forms.Form):
    note = forms.CharField(
        label="A note about the ending (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: a planned ending after twelve weeks. Kept in the audit log.",
    )
