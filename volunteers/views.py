"""Pages for volunteers: the coordinators' list and record, the pairings page
(choosing a volunteer for a member), the volunteer's own choices, and her answer
to a debrief offer."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import policy
from accounts import services as account_services
from accounts.forms import RoleChangeForm, SafeguardingAccessForm
from accounts.models import (
    Reminder,
    Role,
    Supervision,
    Training,
    User,
    VolunteerReference,
    VolunteerStatus,
)
from accounts.views import staff_page
from chat import services as chat_services
from chat.models import Membership, Pairing, Room
from chat.policy import can_lead_q
from chat.staff_forms import ChooseMemberForm, PairingForm, cleared_volunteers
from chat.staff_views import rooms_page
from volunteers import selectors, services
from volunteers.forms import (
    CaseloadForm,
    DBSCheckForm,
    DebriefForm,
    HandOverForm,
    OwnVolunteeringForm,
    ReferenceForm,
    SupervisionForm,
    TrainingForm,
    VolunteerStatusForm,
)

REMINDERS_SHOWN = 20
ENDED_PAIRINGS_SHOWN = 100


@staff_page
def volunteer_list(request):
    status = request.GET.get("status", "")
    if status not in VolunteerStatus.values:
        status = ""
    return render(
        request,
        "volunteers/list.html",
        {
            "rows": selectors.volunteer_rows(status=status),
            "status": status,
            "statuses": VolunteerStatus.choices,
            "debriefs": selectors.open_debrief_requests(),
            "reminders": Reminder.objects.select_related("about")[:REMINDERS_SHOWN],
            "today": timezone.localdate(),
        },
    )


def _volunteer(volunteer_id: int) -> User:
    # A former volunteer whose 1:1 chats wait for hand-over keeps her record page.
    return get_object_or_404(
        User.objects.filter(selectors.volunteers_and_former_with_pairings_q()),
        pk=volunteer_id,
        anonymised_at__isnull=True,
    )


def _handover_forms(volunteer: User, handover: selectors.Handover) -> dict:
    """A hand-over form for each pairing (volunteers matching that mum) and each
    room (cleared people not yet leading it)."""
    pairing_forms = []
    for pairing in handover.pairings:
        matches = selectors.matching_volunteers(member=pairing.member)
        ids = [row.volunteer.pk for row in matches if row.volunteer.pk != volunteer.pk]
        pairing_forms.append(
            {
                "pairing": pairing,
                "matched": bool(ids),
                "form": HandOverForm(
                    prefix=f"pairing-{pairing.pk}",
                    candidates=_candidates(ids, fallback_for=volunteer),
                ),
            }
        )
    room_forms = []
    for room in handover.rooms:
        leading = Membership.objects.filter(
            room=room, user=OuterRef("pk"), role=Membership.Role.LEAD, removed_at__isnull=True
        )
        candidates = (
            User.objects.filter(
                policy.cleared_volunteers_q()
                | Q(role=Role.COORDINATOR, is_active=True, anonymised_at__isnull=True)
            )
            .filter(~Exists(leading))
            .order_by("display_name")
        )
        other_leads = (
            Membership.objects.filter(room=room, role=Membership.Role.LEAD, removed_at__isnull=True)
            .exclude(user=volunteer)
            .count()
        )
        room_forms.append(
            {
                "room": room,
                "other_leads": other_leads,
                "form": HandOverForm(prefix=f"room-{room.pk}", candidates=candidates),
            }
        )
    return {"pairing_forms": pairing_forms, "room_forms": room_forms}


def _candidates(ids: list[int], *, fallback_for: User):
    """The matched volunteers; with no match, every cleared volunteer with room,
    so that the coordinator is never left without a choice."""
    if ids:
        return User.objects.filter(pk__in=ids).order_by("display_name")
    return User.objects.filter(
        pk__in=[row.volunteer.pk for row in selectors.volunteers_with_room()]
    ).exclude(pk=fallback_for.pk)


@staff_page
def volunteer_record(request, volunteer_id: int):
    volunteer = _volunteer(volunteer_id)
    row = selectors.volunteer_row(volunteer_id=volunteer.pk)
    handover = selectors.handover_for(volunteer=volunteer)
    return render(
        request,
        "volunteers/record.html",
        {
            "volunteer": volunteer,
            "row": row,
            "handover": handover,
            "show_handover": bool(handover) and not row.cleared,
            **_handover_forms(volunteer, handover),
            "status_form": VolunteerStatusForm(initial={"status": row.record.status}),
            "dbs_form": DBSCheckForm(),
            "caseload_form": CaseloadForm(initial={"caseload_cap": row.record.caseload_cap}),
            "training_form": TrainingForm(),
            "reference_form": ReferenceForm(),
            "supervision_form": SupervisionForm(initial={"supervisor": request.user.pk}),
            "trainings": Training.objects.filter(volunteer=volunteer),
            "references": VolunteerReference.objects.filter(volunteer=volunteer),
            "supervisions": Supervision.objects.filter(volunteer=volunteer).select_related(
                "supervisor"
            ),
            "can_view_notes": policy.can_view_supervision_notes(request.user),
        },
    )


# Each record form: its form class, the service it calls, and what to say.
def _change_status(actor, volunteer, data):
    services.change_status(actor=actor, volunteer=volunteer, **data)
    return f"{volunteer.display_name} is now “{VolunteerStatus(data['status']).label.lower()}”."


def _record_dbs(actor, volunteer, data):
    services.record_dbs_check(actor=actor, volunteer=volunteer, **data)
    return f"DBS check recorded: renew by {data['expires_on']:%-d %B %Y}."


def _set_cap(actor, volunteer, data):
    services.set_caseload_cap(actor=actor, volunteer=volunteer, cap=data["caseload_cap"])
    return "Caseload saved."


def _add_training(actor, volunteer, data):
    services.add_training(actor=actor, volunteer=volunteer, **data)
    return "Training recorded."


def _add_reference(actor, volunteer, data):
    services.add_reference(actor=actor, volunteer=volunteer, **data)
    return "Reference recorded."


def _add_supervision(actor, volunteer, data):
    services.add_supervision(actor=actor, volunteer=volunteer, **data)
    return "Supervision recorded."


RECORD_ACTIONS = {
    "status": (VolunteerStatusForm, _change_status),
    "dbs": (DBSCheckForm, _record_dbs),
    "caseload": (CaseloadForm, _set_cap),
    "training": (TrainingForm, _add_training),
    "reference": (ReferenceForm, _add_reference),
    "supervision": (SupervisionForm, _add_supervision),
}


@staff_page
@require_POST
def volunteer_record_change(request, volunteer_id: int, action: str):
    volunteer = _volunteer(volunteer_id)
    if action not in RECORD_ACTIONS:
        raise Http404
    form_class, change = RECORD_ACTIONS[action]
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(
            request,
            "Nothing was saved. "
            + " ".join(
                f"{form.fields[name].label if name in form.fields else ''}: {' '.join(errors)}"
                for name, errors in form.errors.items()
            ),
        )
        return redirect("staff_volunteer", volunteer_id=volunteer.pk)
    try:
        messages.success(request, change(request.user, volunteer, form.cleaned_data))
    except services.VolunteerError as error:
        messages.error(request, f"Nothing was saved. {error}")
    return redirect("staff_volunteer", volunteer_id=volunteer.pk)


@staff_page
@require_POST
def hand_over_pairing(request, volunteer_id: int, pairing_id: int):
    volunteer = _volunteer(volunteer_id)
    pairing = get_object_or_404(Pairing, pk=pairing_id, volunteer=volunteer, ended_at=None)
    form = HandOverForm(
        request.POST,
        prefix=f"pairing-{pairing.pk}",
        candidates=User.objects.filter(policy.cleared_volunteers_q()),
    )
    if form.is_valid():
        try:
            chat_services.hand_over_pairing(
                actor=request.user,
                pairing_id=pairing.pk,
                volunteer=form.cleaned_data["volunteer"],
                reason=form.cleaned_data["reason"],
            )
        except chat_services.ChatError as error:
            messages.error(request, error.detail)
        else:
            messages.success(
                request,
                f"{pairing.member.display_name}'s 1:1 chat is now with "
                f"{form.cleaned_data['volunteer'].display_name}.",
            )
    else:
        messages.error(request, "Please choose the new volunteer and give a reason.")
    return redirect("staff_volunteer", volunteer_id=volunteer.pk)


@staff_page
@require_POST
def hand_over_room(request, volunteer_id: int, room_id: int):
    """Give her place leading a group room to someone else, or just take her out
    of it when the room has other leads (leave the new volunteer empty)."""
    volunteer = _volunteer(volunteer_id)
    room = get_object_or_404(Room, pk=room_id, kind=Room.Kind.GROUP)
    new_lead = None
    if request.POST.get(f"room-{room.pk}-volunteer"):
        form = HandOverForm(
            request.POST,
            prefix=f"room-{room.pk}",
            candidates=User.objects.filter(can_lead_q()),
        )
        if not form.is_valid():
            messages.error(request, "Please choose who will lead the room and give a reason.")
            return redirect("staff_volunteer", volunteer_id=volunteer.pk)
        new_lead = form.cleaned_data["volunteer"]
    elif not (
        Membership.objects.filter(room=room, role=Membership.Role.LEAD, removed_at__isnull=True)
        .exclude(user=volunteer)
        .exists()
    ):
        messages.error(
            request, f"{room.name} has no other lead: please choose who will lead it now."
        )
        return redirect("staff_volunteer", volunteer_id=volunteer.pk)
    reason = request.POST.get(f"room-{room.pk}-reason", "").strip() or "Handed over"
    try:
        if new_lead is not None:
            chat_services.assign_lead(actor=request.user, room_id=room.pk, volunteer=new_lead)
        chat_services.remove_from_room(
            actor=request.user, room_id=room.pk, person=volunteer, reason=reason
        )
    except chat_services.ChatError as error:
        messages.error(request, error.detail)
    else:
        if new_lead is not None:
            messages.success(request, f"{new_lead.display_name} now leads {room.name}.")
        else:
            messages.success(request, f"{volunteer.display_name} no longer leads {room.name}.")
    return redirect("staff_volunteer", volunteer_id=volunteer.pk)


@staff_page
@require_POST
def debrief_handled(request, request_id: int):
    services.mark_debrief_handled(actor=request.user, request_id=request_id)
    messages.success(request, "Marked as arranged.")
    return redirect("staff_volunteers")


# --- A person's page (changing her role starts or ends her volunteering) ---------------


@staff_page
def person(request, user_id: int):
    """Anyone's page for coordinators. It lives here because a role change can
    start or end her volunteering: `services.change_role` hands over what she led."""
    person = get_object_or_404(User, pk=user_id, anonymised_at__isnull=True)
    role_form = RoleChangeForm(initial={"role": person.role})
    if request.method == "POST":
        role_form = RoleChangeForm(request.POST)
        if role_form.is_valid():
            try:
                left = services.change_role(
                    actor=request.user, person=person, **role_form.cleaned_data
                )
            except account_services.AccountError as error:
                role_form.add_error(None, str(error))
            else:
                new_role = Role(role_form.cleaned_data["role"]).label.lower()
                messages.success(request, f"{person.display_name} is now a {new_role}.")
                if left is not None:
                    _tell_what_she_left(request, person, left)
                    if left.pairings_to_hand_over:
                        return redirect("staff_volunteer", volunteer_id=person.pk)
                return redirect("staff_person", user_id=person.pk)
    return render(
        request,
        "staff/person.html",
        {
            "person": person,
            "role_form": role_form,
            "can_change_role": policy.can_change_role_of(request.user, person=person),
            "can_view_details": policy.can_view_safeguarding_details(request.user, member=person),
            "details_form": SafeguardingAccessForm(),
        },
    )


def _tell_what_she_left(request, person: User, left) -> None:
    """After a volunteer's role change: what the coordinator must now hand over."""
    name = person.display_name
    if left.pairings_to_hand_over:
        mums = ", ".join(p.member.display_name for p in left.pairings_to_hand_over)
        messages.warning(
            request,
            f"{name} has left her 1:1 chats. They stay open with their history, but "
            f"need a new volunteer: please hand them over below ({mums}).",
        )
    if left.rooms_without_lead:
        rooms = ", ".join(room.name for room in left.rooms_without_lead)
        messages.warning(
            request,
            f"{name} no longer leads these rooms, which have no lead now: "
            f"{rooms}. Please choose a new lead on the rooms page.",
        )
    elif left.rooms_left:
        rooms = ", ".join(room.name for room in left.rooms_left)
        messages.info(request, f"{name} no longer leads {rooms}.")
    if left.sessions.held_open:
        messages.warning(
            request,
            "A session she opened stays open because a RED flag in it hasn't been "
            "acknowledged yet. Please look at the flags queue.",
        )


# --- Pairing a member with a volunteer (under /staff/rooms/pairings/) ---------------------


@rooms_page
def pairings(request):
    """Pairings: choose a member, see the volunteers who match her, pair them."""
    choose = ChooseMemberForm(request.GET or None)
    member = choose.cleaned_data["member"] if request.GET and choose.is_valid() else None
    form = None
    if request.method == "POST":
        form = PairingForm(request.POST)
        valid = form.is_valid()
        member = form.cleaned_data.get("member")
        if valid:
            member, volunteer = form.cleaned_data["member"], form.cleaned_data["volunteer"]
            try:
                chat_services.pair(
                    actor=request.user,
                    member=member,
                    volunteer=volunteer,
                    planned_end=form.cleaned_data["planned_end"],
                )
            except chat_services.ChatError as error:
                form.add_error(None, error.detail)
            else:
                messages.success(
                    request,
                    f"{member.display_name} and {volunteer.display_name} are paired. "
                    "Their 1:1 chat is open.",
                )
                return redirect("staff_pairings")
    matching = None
    if member is not None:
        matching = _matching(request, member)
        if form is None:
            form = PairingForm(initial={"member": member.pk}, volunteers=matching["volunteers"])
        else:
            form.fields["volunteer"].queryset = matching["volunteers"]
    all_pairings = Pairing.objects.select_related(
        "member", "member__member_profile", "volunteer", "ended_by"
    )
    return render(
        request,
        "staff/pairings/list.html",
        {
            "choose": choose,
            "member": member,
            "form": form,
            "matching": matching,
            "today": timezone.localdate(),
            "active": all_pairings.filter(ended_at__isnull=True).order_by("created_at"),
            "ended": all_pairings.filter(ended_at__isnull=False).order_by("-ended_at")[
                :ENDED_PAIRINGS_SHOWN
            ],
        },
    )


def _matching(request, member: User) -> dict:
    """The volunteers to offer for `member`: her matches, or (asked for, or when
    none match) every cleared volunteer with room, so there is always a way on."""
    matches = selectors.matching_volunteers(member=member)
    show_all = request.GET.get("all") == "1" or request.POST.get("all") == "1" or not matches
    if show_all:
        ids = [row.volunteer.pk for row in selectors.volunteers_with_room()]
    else:
        ids = [row.volunteer.pk for row in matches]
    return {
        "profile": getattr(member, "member_profile", None),
        "matched_count": len(matches),
        "show_all": show_all,
        "volunteers": cleared_volunteers().filter(pk__in=ids),
        "rows": {row.volunteer.pk: row for row in matches},
    }


# --- the volunteer's own pages ------------------------------------------------------------


@login_required
def my_volunteering(request):
    """Her choices for matching, and her checks and training as the service has them."""
    if not policy.can_edit_own_volunteering(request.user):
        raise PermissionDenied
    record = services.record_for(request.user)
    form = OwnVolunteeringForm(
        request.POST or None,
        initial={
            "languages": record.languages,
            "experience_tags": record.experience_tags,
            "availability": record.availability,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.update_own_volunteering(
            volunteer=request.user, choices=services.OwnVolunteering(**form.cleaned_data)
        )
        messages.success(request, "Thank you. Your choices are saved.")
        return redirect("my_volunteering")
    return render(
        request,
        "volunteers/volunteering.html",
        {
            "form": form,
            "record": record,
            "cleared": policy.is_cleared_volunteer(request.user),
            "why_not": policy.why_not_cleared(request.user),
            "trainings": Training.objects.filter(volunteer=request.user),
            # Dates only: supervision notes are for coordinators.
            "supervision_dates": Supervision.objects.filter(volunteer=request.user).values_list(
                "held_on", flat=True
            ),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def answer_debrief(request, flag_id: int):
    if not policy.can_request_debrief(request.user):
        raise PermissionDenied
    wanted = request.POST.get("answer") == "yes"
    form = DebriefForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.answer_debrief_offer(
            volunteer=request.user, flag_id=flag_id, wanted=wanted, note=note
        )
    except services.VolunteerError as error:
        messages.info(request, str(error))
    else:
        if wanted:
            messages.success(
                request, "Thank you for asking. A coordinator will be in touch to talk it through."
            )
        else:
            messages.info(request, "All right. You can always ask a coordinator to talk later.")
    return redirect("home")
