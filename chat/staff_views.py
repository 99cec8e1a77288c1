"""Coordinators' pages for group rooms and 1:1 pairings.

Each POST calls one service in `chat.services`; a refusal (`ChatError`) is
shown in plain words and changes nothing.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.views import staff_page
from chat import policy, services
from chat.models import JoinRequest, Membership, Pairing, Room, Session
from chat.selectors import current_session
from chat.staff_forms import (
    AssignLeadForm,
    EndPairingForm,
    EnrolMemberForm,
    RemovalForm,
    RoomForm,
    schedule_formset,
)


def rooms_page(view):
    """Staff pages (coordinators with MFA) for people the chat policy lets manage rooms."""

    @staff_page
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not policy.can_manage_rooms(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _group_room(room_id: int) -> Room:
    return get_object_or_404(Room, pk=room_id, kind=Room.Kind.GROUP)


def _active(role: str):
    return Membership.objects.filter(role=role, removed_at__isnull=True).select_related("user")


# --- Rooms ---------------------------------------------------------------------------------


@rooms_page
def rooms(request):
    group_rooms = (
        Room.objects.filter(kind=Room.Kind.GROUP)
        .prefetch_related(
            "schedule",
            Prefetch("memberships", queryset=_active(Membership.Role.LEAD), to_attr="leads"),
        )
        .annotate(
            enrolled=Count(
                "memberships",
                filter=Q(
                    memberships__role=Membership.Role.MEMBER,
                    memberships__removed_at__isnull=True,
                ),
                distinct=True,
            ),
            pending_requests=Count(
                "join_requests",
                filter=Q(join_requests__state=JoinRequest.State.PENDING),
                distinct=True,
            ),
            session_open=Exists(
                Session.objects.filter(room=OuterRef("pk"), closed_at__isnull=True)
            ),
        )
    )
    return render(request, "staff/rooms/list.html", {"rooms": group_rooms})


@rooms_page
def room_new(request):
    form = RoomForm(request.POST or None)
    slots = schedule_formset(data=request.POST or None)
    if request.method == "POST" and form.is_valid() and slots.is_valid():
        room = services.create_room(actor=request.user, schedule=slots.slots(), **form.cleaned_data)
        messages.success(request, f"{room.name} is ready. Now add lead volunteers and members.")
        return redirect("staff_room", room_id=room.pk)
    return render(request, "staff/rooms/form.html", {"form": form, "slots": slots, "room": None})


@rooms_page
def room_edit(request, room_id: int):
    room = _group_room(room_id)
    # Validating the form writes the posted values onto `room`; the heading keeps this.
    saved_name = room.name
    form = RoomForm(request.POST or None, instance=room)
    slots = schedule_formset(data=request.POST or None, room=room)
    if request.method == "POST" and form.is_valid() and slots.is_valid():
        services.update_room(actor=request.user, room=form.instance, changed=form.changed_data)
        services.set_schedule(actor=request.user, room_id=room.pk, slots=slots.slots())
        messages.success(request, f"Your changes to {room.name} are saved.")
        return redirect("staff_room", room_id=room.pk)
    return render(
        request,
        "staff/rooms/form.html",
        {"form": form, "slots": slots, "room": room, "saved_name": saved_name},
    )


def _room_page(
    request,
    room: Room,
    *,
    lead_form: AssignLeadForm | None = None,
    enrol_form: EnrolMemberForm | None = None,
    failed_removal: RemovalForm | None = None,
):
    """The room's page, with any form that failed shown with its errors."""

    def removal_form(membership: Membership) -> RemovalForm:
        if failed_removal is not None and failed_removal.prefix == f"remove-{membership.user_id}":
            return failed_removal
        return RemovalForm(
            person=membership.user, reason_required=membership.role == Membership.Role.MEMBER
        )

    leads = _active(Membership.Role.LEAD).filter(room=room).order_by("user__display_name")
    members = list(_active(Membership.Role.MEMBER).filter(room=room).order_by("user__display_name"))
    return render(
        request,
        "staff/rooms/detail.html",
        {
            "room": room,
            "leads": [(m, removal_form(m)) for m in leads],
            "members": [(m, removal_form(m)) for m in members],
            "requests": room.join_requests.filter(state=JoinRequest.State.PENDING).select_related(
                "member"
            ),
            "session_open": current_session(room) is not None,
            "is_full": len(members) >= room.capacity,
            "lead_form": lead_form or AssignLeadForm(room=room),
            "enrol_form": enrol_form or EnrolMemberForm(room=room),
        },
    )


@rooms_page
def room_detail(request, room_id: int):
    return _room_page(request, _group_room(room_id))


@rooms_page
@require_POST
def assign_lead(request, room_id: int):
    room = _group_room(room_id)
    form = AssignLeadForm(request.POST, room=room)
    if form.is_valid():
        lead = form.cleaned_data["lead"]
        try:
            services.assign_lead(actor=request.user, room_id=room.pk, volunteer=lead)
        except services.ChatError as error:
            form.add_error("lead", error.detail)
        else:
            messages.success(request, f"{lead.display_name} now leads {room.name}.")
            return redirect("staff_room", room_id=room.pk)
    return _room_page(request, room, lead_form=form)


@rooms_page
@require_POST
def enrol_member(request, room_id: int):
    room = _group_room(room_id)
    form = EnrolMemberForm(request.POST, room=room)
    if form.is_valid():
        member = form.cleaned_data["member"]
        try:
            services.enrol_member(actor=request.user, room_id=room.pk, member=member)
        except services.ChatError as error:
            form.add_error("member", error.detail)
        else:
            messages.success(request, f"{member.display_name} is enrolled in {room.name}.")
            return redirect("staff_room", room_id=room.pk)
    return _room_page(request, room, enrol_form=form)


@rooms_page
@require_POST
def remove_person(request, room_id: int, user_id: int):
    """Take a member (a reason is required) or a lead volunteer out of the room."""
    room = _group_room(room_id)
    person = get_object_or_404(User, pk=user_id)
    membership = room.memberships.filter(user=person, removed_at__isnull=True).first()
    leads = membership is not None and membership.role == Membership.Role.LEAD
    form = RemovalForm(request.POST, person=person, reason_required=not leads)
    if form.is_valid():
        try:
            services.remove_from_room(
                actor=request.user,
                room_id=room.pk,
                person=person,
                reason=form.cleaned_data["reason"],
            )
        except services.ChatError as error:
            messages.error(request, error.detail)
        else:
            name = person.display_name
            messages.success(
                request,
                f"{name} no longer leads {room.name}."
                if leads
                else f"{name} has left {room.name}. The room is no longer in her list.",
            )
        return redirect("staff_room", room_id=room.pk)
    return _room_page(request, room, failed_removal=form)


@rooms_page
@require_POST
def decide_join_request(request, room_id: int, request_id: int):
    room = _group_room(room_id)
    join_request = get_object_or_404(
        JoinRequest.objects.select_related("member"), pk=request_id, room=room
    )
    decision = request.POST.get("decision")
    if decision not in ("approve", "decline"):
        messages.error(request, "Please choose whether to approve or decline the request.")
        return redirect("staff_room", room_id=room.pk)
    approve = decision == "approve"
    try:
        services.decide_join_request(
            actor=request.user, request_id=join_request.pk, approve=approve
        )
    except services.ChatError as error:
        messages.error(request, error.detail)
    else:
        name = join_request.member.display_name
        if approve:
            messages.success(request, f"{name} is enrolled in {room.name}.")
        else:
            messages.success(request, f"You declined {name}'s request to join {room.name}.")
    return redirect("staff_room", room_id=room.pk)


# --- Pairings (choosing a volunteer is volunteers.views.pairings) ------------------------


@rooms_page
def end_pairing(request, pairing_id: int):
    pairing = get_object_or_404(
        Pairing.objects.select_related("member", "volunteer"), pk=pairing_id
    )
    if pairing.ended_at is not None:
        messages.info(request, "That pairing has already ended.")
        return redirect("staff_pairings")
    form = EndPairingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_pairing(
                actor=request.user, pairing_id=pairing.pk, note=form.cleaned_data["note"]
            )
        except services.ChatError as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request,
                f"The pairing of {pairing.member.display_name} and "
                f"{pairing.volunteer.display_name} has ended. Their chat stays readable, "
                "but no new messages can be sent.",
            )
        return redirect("staff_pairings")
    return render(request, "staff/pairings/end.html", {"pairing": pairing, "form": form})
