"""Coordinators' admin for rooms, members, leads, join requests and pairings.

Every change goes through `chat.services` (policy, audit, live events); the
admin forms call the service in `clean()`, so a refusal (a full room, a
volunteer's full caseload) shows as a form error and changes nothing.
Message text is never shown here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role, User
from chat import policy, services
from chat.models import JoinRequest, Membership, Pairing, Room, ScheduleSlot, Session


class CoordinatorAdmin(admin.ModelAdmin):
    """Open to coordinators (the policy decides), whatever their Django permissions."""

    def has_module_permission(self, request):
        return policy.can_manage_rooms(request.user)

    def has_view_permission(self, request, obj=None):
        return policy.can_manage_rooms(request.user)

    def has_add_permission(self, request):
        return policy.can_manage_rooms(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceForm(forms.ModelForm):
    """A form whose `clean` performs the change through a service."""

    # Each subclass defines perform(data): the one service call it makes.
    actor: User

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                self.saved = self.perform(data)
            except services.ChatError as error:
                raise ValidationError(error.detail) from None
            except PermissionDenied:
                raise ValidationError("You may not do this.") from None
        return data


class ServiceAdmin(CoordinatorAdmin):
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        # The service has saved it; the admin only needs the saved object.
        obj.__dict__.update(form.saved.__dict__)

    def save_related(self, request, form, formsets, change):
        pass


# --- rooms -----------------------------------------------------------------------


class RoomForm(ServiceForm):
    class Meta:
        model = Room
        fields = ["name", "description", "capacity", "always_open", "allows_join_requests"]

    def perform(self, data):
        if self.instance.pk:
            services.update_room(actor=self.actor, room=self.instance, changed=self.changed_data)
            return self.instance
        return services.create_room(actor=self.actor, **data)


class ScheduleSlotInline(admin.TabularInline):
    model = ScheduleSlot
    extra = 1

    def has_view_permission(self, request, obj=None):
        return policy.can_manage_rooms(request.user)

    def has_add_permission(self, request, obj=None):
        return policy.can_manage_rooms(request.user)

    def has_change_permission(self, request, obj=None):
        return policy.can_manage_rooms(request.user)

    def has_delete_permission(self, request, obj=None):
        return policy.can_manage_rooms(request.user)


@admin.register(Room)
class RoomAdmin(ServiceAdmin):
    form = RoomForm
    list_display = ["name", "kind", "capacity", "always_open", "allows_join_requests"]
    list_filter = ["kind", "always_open"]
    search_fields = ["name"]
    inlines = [ScheduleSlotInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind=Room.Kind.GROUP)

    def has_change_permission(self, request, obj=None):
        return policy.can_manage_rooms(request.user)

    def save_related(self, request, form, formsets, change):
        room = form.saved
        for formset in formsets:
            slots = [
                (
                    f.cleaned_data["weekday"],
                    f.cleaned_data["starts_at"],
                    f.cleaned_data["duration_minutes"],
                )
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            services.set_schedule(actor=request.user, room_id=room.pk, slots=slots)
            # The admin's change message reads what a formset saved: nothing here.
            formset.new_objects = formset.changed_objects = formset.deleted_objects = []


# --- people in rooms -----------------------------------------------------------------


class MembershipForm(ServiceForm):
    class Meta:
        model = Membership
        fields = ["room", "user", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(kind=Room.Kind.GROUP)
        self.fields["user"].queryset = User.objects.filter(is_active=True, anonymised_at=None)

    def perform(self, data):
        if data["role"] == Membership.Role.LEAD:
            return services.assign_lead(
                actor=self.actor, room_id=data["room"].pk, volunteer=data["user"]
            )
        return services.enrol_member(actor=self.actor, room_id=data["room"].pk, member=data["user"])


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    form = MembershipForm
    list_display = ["user", "room", "role", "joined_at", "removed_at"]
    list_filter = ["role", "room"]
    search_fields = ["user__display_name", "room__name"]
    actions = ["remove_from_room"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(room__kind=Room.Kind.GROUP)

    @admin.action(description="Remove from the room")
    def remove_from_room(self, request, queryset):
        for membership in queryset.filter(removed_at=None):
            services.remove_from_room(
                actor=request.user,
                room_id=membership.room_id,
                person=membership.user,
                reason="removed in the admin",
            )
        messages.success(request, "Removed. Their open chats have left the room.")


@admin.register(JoinRequest)
class JoinRequestAdmin(CoordinatorAdmin):
    list_display = ["member", "room", "state", "created_at", "decided_by"]
    list_filter = ["state"]
    actions = ["approve", "decline"]

    def has_add_permission(self, request):
        return False

    def _decide(self, request, queryset, approve: bool):
        for request_ in queryset.filter(state=JoinRequest.State.PENDING):
            try:
                services.decide_join_request(
                    actor=request.user, request_id=request_.pk, approve=approve
                )
            except services.ChatError as error:
                messages.error(request, f"{request_.member}: {error.detail}")

    @admin.action(description="Approve (enrol in the room)")
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description="Decline")
    def decline(self, request, queryset):
        self._decide(request, queryset, False)


# --- pairings and sessions -------------------------------------------------------------


class PairingForm(ServiceForm):
    class Meta:
        model = Pairing
        fields = ["member", "volunteer"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = User.objects.filter(role=Role.MEMBER, is_active=True)
        self.fields["volunteer"].queryset = User.objects.filter(role=Role.VOLUNTEER, is_active=True)

    def perform(self, data):
        return services.pair(actor=self.actor, member=data["member"], volunteer=data["volunteer"])


@admin.register(Pairing)
class PairingAdmin(ServiceAdmin):
    form = PairingForm
    list_display = ["member", "volunteer", "created_at", "ended_at"]
    list_filter = [("ended_at", admin.EmptyFieldListFilter)]
    actions = ["end_pairing"]

    @admin.action(description="End the pairing (planned ending: the chat becomes read-only)")
    def end_pairing(self, request, queryset):
        for pairing in queryset.filter(ended_at=None):
            services.end_pairing(
                actor=request.user, pairing_id=pairing.pk, note="ended in the admin"
            )


@admin.register(Session)
class SessionAdmin(CoordinatorAdmin):
    list_display = ["room", "opened_by", "opened_at", "closes_at", "closed_at", "on_schedule"]
    list_filter = ["room"]
    actions = ["close_sessions"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Close the session now")
    def close_sessions(self, request, queryset):
        for session in queryset.filter(closed_at=None):
            services.close_session(actor=request.user, room_id=session.room_id)
