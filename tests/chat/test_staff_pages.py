"""Coordinators set up rooms and pairings from the staff pages, through the services."""

from datetime import date, time, timedelta

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from chat import services
from chat.models import JoinRequest, Membership, Pairing, Room
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def room_form(**overrides) -> dict:
    """A complete room form with no weekly times (three blank rows)."""
    data = {
        "name": "Tuesday mornings",
        "description": "Coffee and chat",
        "capacity": "8",
        "slot-TOTAL_FORMS": "3",
        "slot-INITIAL_FORMS": "0",
        "slot-MIN_NUM_FORMS": "0",
        "slot-MAX_NUM_FORMS": "1000",
    }
    for index in range(3):
        data[f"slot-{index}-weekday"] = ""
        data[f"slot-{index}-starts_at"] = ""
        data[f"slot-{index}-duration_minutes"] = "60"
    data.update(overrides)
    return data


def edit_form(room: Room, **overrides) -> dict:
    """The edit form as the page shows it for `room`: its slots, then two blank rows."""
    slots = list(room.schedule.all())
    data = {
        "name": room.name,
        "description": room.description,
        "capacity": str(room.capacity),
        "slot-TOTAL_FORMS": str(len(slots) + 2),
        "slot-INITIAL_FORMS": str(len(slots)),
        "slot-MIN_NUM_FORMS": "0",
        "slot-MAX_NUM_FORMS": "1000",
    }
    if room.always_open:
        data["always_open"] = "on"
    if room.allows_join_requests:
        data["allows_join_requests"] = "on"
    for index, slot in enumerate(slots):
        data[f"slot-{index}-weekday"] = str(slot.weekday)
        data[f"slot-{index}-starts_at"] = f"{slot.starts_at:%H:%M}"
        data[f"slot-{index}-duration_minutes"] = str(slot.duration_minutes)
    for index in range(len(slots), len(slots) + 2):
        data[f"slot-{index}-weekday"] = ""
        data[f"slot-{index}-starts_at"] = ""
        data[f"slot-{index}-duration_minutes"] = "60"
    data.update(overrides)
    return data


@pytest.fixture
def cora(client, coordinator):
    """The test client, logged in as Cora the coordinator."""
    client.force_login(coordinator)
    return client


@pytest.fixture
def tiny_room(coordinator):
    return services.create_room(
        actor=coordinator,
        name="Tiny group",
        capacity=1,
        schedule=[(2, time(19, 0), 60)],
    )


# --- Rooms ----------------------------------------------------------------------------------


def test_rooms_page_lists_each_group_room_with_its_people_and_schedule(
    cora, group_room, other_room, pairing
):
    services.set_schedule(
        actor=pairing.created_by, room_id=group_room.pk, slots=[(3, time(10, 30), 90)]
    )
    page = cora.get(reverse("staff_rooms")).content.decode()
    assert "Thursday group" in page and "Other group" in page
    assert "Thursday 10:30 (90 min)" in page
    assert "2 of 12" in page  # Amy and Beth; Val leads and doesn't count
    assert "Val" in page
    assert "New room" in page
    # The 1:1 chat of the pairing is not a group room.
    assert pairing.room.name not in page


def test_coordinator_creates_a_room_with_two_weekly_times(cora, coordinator):
    response = cora.post(
        reverse("staff_room_new"),
        room_form(
            **{
                "always_open": "",
                "allows_join_requests": "on",
                "slot-0-weekday": "1",
                "slot-0-starts_at": "10:00",
                "slot-0-duration_minutes": "60",
                "slot-1-weekday": "3",
                "slot-1-starts_at": "19:30",
                "slot-1-duration_minutes": "90",
            }
        ),
    )
    room = Room.objects.get(name="Tuesday mornings")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_room", args=[room.pk])
    assert room.capacity == 8 and room.allows_join_requests and not room.always_open
    assert [(s.weekday, s.starts_at, s.duration_minutes) for s in room.schedule.all()] == [
        (1, time(10, 0), 60),
        (3, time(19, 30), 90),
    ]
    entry = AuditEntry.objects.get(action="room_created")
    assert entry.actor == coordinator and entry.target_id == str(room.pk)


def test_room_needs_a_name_and_a_whole_weekly_time(cora):
    response = cora.post(
        reverse("staff_room_new"),
        room_form(name="  ", **{"slot-0-weekday": "1", "slot-0-duration_minutes": "10"}),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please give the room a name." in page
    assert "Please give a start time." in page
    assert "A meeting lasts between 15 and 480 minutes." in page
    assert not Room.objects.exists()


def test_coordinator_edits_a_rooms_capacity(cora, coordinator, tiny_room):
    response = cora.post(
        reverse("staff_room_edit", args=[tiny_room.pk]), edit_form(tiny_room, capacity="10")
    )
    assert response.status_code == 302
    tiny_room.refresh_from_db()
    assert tiny_room.capacity == 10
    # The weekly time was left as it was.
    assert [str(slot) for slot in tiny_room.schedule.all()] == ["Wednesday 19:00 (60 min)"]
    entry = AuditEntry.objects.get(action="room_changed")
    assert entry.details == {"fields": ["capacity"]}


def test_editing_adds_and_removes_weekly_times(cora, tiny_room):
    response = cora.post(
        reverse("staff_room_edit", args=[tiny_room.pk]),
        edit_form(
            tiny_room,
            **{
                "slot-0-DELETE": "on",
                "slot-1-weekday": "5",
                "slot-1-starts_at": "09:15",
                "slot-1-duration_minutes": "45",
            },
        ),
    )
    assert response.status_code == 302
    assert [str(slot) for slot in tiny_room.schedule.all()] == ["Saturday 09:15 (45 min)"]


@pytest.mark.parametrize("capacity", ["0", "51", "lots"])
def test_bad_capacity_gives_a_specific_error_and_changes_nothing(cora, tiny_room, capacity):
    response = cora.post(
        reverse("staff_room_edit", args=[tiny_room.pk]),
        edit_form(tiny_room, name="Renamed", capacity=capacity),
    )
    assert response.status_code == 200
    assert "A room takes between 1 and 50 members." in response.content.decode()
    tiny_room.refresh_from_db()
    assert tiny_room.capacity == 1 and tiny_room.name == "Tiny group"
    assert not AuditEntry.objects.filter(action="room_changed").exists()


# --- People in a room -------------------------------------------------------------------------


def test_coordinator_enrols_a_member_then_removes_her_with_a_reason(
    cora, coordinator, other_room, mum
):
    page = cora.get(reverse("staff_room", args=[other_room.pk])).content.decode()
    assert f'<option value="{mum.pk}">Amy</option>' in page

    response = cora.post(
        reverse("staff_room_enrol_member", args=[other_room.pk]), {"member": mum.pk}
    )
    assert response.status_code == 302
    assert Membership.objects.filter(room=other_room, user=mum, removed_at=None).exists()
    page = cora.get(response["Location"]).content.decode()
    assert "Amy is enrolled in Other group." in page

    remove = reverse("staff_room_remove_person", args=[other_room.pk, mum.pk])
    response = cora.post(remove, {f"remove-{mum.pk}-reason": ""})
    assert response.status_code == 200
    assert "Please give a reason for removing her." in response.content.decode()
    assert Membership.objects.get(room=other_room, user=mum).removed_at is None

    response = cora.post(remove, {f"remove-{mum.pk}-reason": "Asked to leave the group"})
    assert response.status_code == 302
    assert Membership.objects.get(room=other_room, user=mum).removed_at is not None
    entry = AuditEntry.objects.get(action="member_removed")
    assert entry.actor == coordinator and entry.target_id == str(mum.pk)
    assert entry.reason == "Asked to leave the group"
    assert entry.details == {"room": other_room.pk}


def test_enrolling_into_a_full_room_shows_the_reason_and_changes_nothing(
    cora, coordinator, tiny_room, mum, other_mum
):
    services.enrol_member(actor=coordinator, room_id=tiny_room.pk, member=mum)
    response = cora.post(
        reverse("staff_room_enrol_member", args=[tiny_room.pk]), {"member": other_mum.pk}
    )
    assert response.status_code == 200
    assert "Tiny group is full (1 members)." in response.content.decode()
    assert list(tiny_room.memberships.values_list("user__display_name", flat=True)) == ["Amy"]
    assert not AuditEntry.objects.filter(action="member_enrolled", target_id=str(other_mum.pk))


def test_coordinator_assigns_a_lead_volunteer_and_removes_her(cora, other_room, volunteer):
    page = cora.get(reverse("staff_room", args=[other_room.pk])).content.decode()
    assert f'<option value="{volunteer.pk}">Val (volunteer)</option>' in page

    response = cora.post(
        reverse("staff_room_assign_lead", args=[other_room.pk]), {"lead": volunteer.pk}
    )
    assert response.status_code == 302
    lead = Membership.objects.get(room=other_room, user=volunteer)
    assert lead.role == Membership.Role.LEAD and lead.removed_at is None
    assert AuditEntry.objects.filter(action="lead_assigned", target_id=str(volunteer.pk)).exists()

    # A lead is taken off without a reason (a note is optional).
    response = cora.post(reverse("staff_room_remove_person", args=[other_room.pk, volunteer.pk]))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.removed_at is not None
    assert AuditEntry.objects.filter(action="lead_unassigned").exists()


def test_a_member_cannot_be_made_a_lead(cora, other_room, mum):
    response = cora.post(reverse("staff_room_assign_lead", args=[other_room.pk]), {"lead": mum.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.exists()


def test_coordinator_approves_a_join_request(cora, coordinator, mum, other_mum):
    room = services.create_room(actor=coordinator, name="Drop-in", allows_join_requests=True)
    request = services.request_to_join(member=mum, room_id=room.pk)
    other = services.request_to_join(member=other_mum, room_id=room.pk)
    page = cora.get(reverse("staff_room", args=[room.pk])).content.decode()
    assert "Approve Amy" in page and "Decline Beth" in page
    rooms_page = cora.get(reverse("staff_rooms")).content.decode()
    assert f'href="{reverse("staff_room", args=[room.pk])}#requests-heading">2</a>' in rooms_page

    response = cora.post(
        reverse("staff_room_decide_request", args=[room.pk, request.pk]), {"decision": "approve"}
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.state == JoinRequest.State.APPROVED and request.decided_by == coordinator
    assert Membership.objects.filter(room=room, user=mum, removed_at=None).exists()

    cora.post(
        reverse("staff_room_decide_request", args=[room.pk, other.pk]), {"decision": "decline"}
    )
    other.refresh_from_db()
    assert other.state == JoinRequest.State.DECLINED
    assert not Membership.objects.filter(user=other_mum).exists()


def test_approving_a_request_into_a_full_room_says_why_and_changes_nothing(
    cora, coordinator, mum, other_mum
):
    room = services.create_room(
        actor=coordinator, name="Small", capacity=1, allows_join_requests=True
    )
    services.enrol_member(actor=coordinator, room_id=room.pk, member=other_mum)
    request = services.request_to_join(member=mum, room_id=room.pk)
    response = cora.post(
        reverse("staff_room_decide_request", args=[room.pk, request.pk]),
        {"decision": "approve"},
        follow=True,
    )
    assert "Small is full (1 members)." in response.content.decode()
    request.refresh_from_db()
    assert request.state == JoinRequest.State.PENDING
    assert not Membership.objects.filter(user=mum).exists()


# --- Pairings -----------------------------------------------------------------------------------

PLANNED_END = (date.today() + timedelta(weeks=12)).isoformat()


def test_pairing_form_shows_each_volunteers_load(cora, coordinator, volunteer, other_volunteer):
    for index in range(2):
        member = make_member(f"m{index}@example.net", f"Mum {index}")
        services.pair(actor=coordinator, member=member, volunteer=volunteer)
    mum = make_member("amy@example.net", "Amy")
    page = cora.get(reverse("staff_pairings"), {"member": mum.pk}).content.decode()
    assert "Val (2 of 3 active)" in page
    assert "Vera (0 of 3 active)" in page
    # Members who already have a volunteer are not offered again.
    assert ">Mum 0<" in page  # in the table of active pairings
    assert '">Mum 0</option>' not in page


def test_a_fourth_pairing_for_a_volunteer_is_refused_with_the_reason(
    cora, coordinator, volunteer, mum
):
    for index in range(3):
        member = make_member(f"m{index}@example.net", f"Mum {index}")
        services.pair(actor=coordinator, member=member, volunteer=volunteer)
    page = cora.get(reverse("staff_pairings"), {"member": mum.pk, "all": "1"}).content.decode()
    assert "Val (" not in page  # a full volunteer is not offered

    response = cora.post(
        reverse("staff_pairings"),
        {"member": mum.pk, "volunteer": volunteer.pk, "planned_end": PLANNED_END},
    )
    assert response.status_code == 200
    assert "Val already has 3 active 1:1 chats (her most is 3)." in response.content.decode()
    assert not Pairing.objects.filter(member=mum).exists()


def test_coordinator_pairs_a_member_with_a_volunteer(cora, coordinator, mum, volunteer):
    response = cora.post(
        reverse("staff_pairings"),
        {"member": mum.pk, "volunteer": volunteer.pk, "planned_end": PLANNED_END},
    )
    assert response.status_code == 302
    pairing = Pairing.objects.get()
    assert (pairing.member, pairing.volunteer, pairing.created_by) == (mum, volunteer, coordinator)
    assert pairing.planned_end.isoformat() == PLANNED_END
    page = cora.get(reverse("staff_pairings")).content.decode()
    assert "Amy and Val are paired." in page
    assert reverse("room", args=[pairing.room_id]) in page  # "Open chat"


def test_coordinator_ends_a_pairing_with_a_note(cora, coordinator, pairing):
    end = reverse("staff_pairing_end", args=[pairing.pk])
    page = cora.get(end).content.decode()
    assert "End the pairing of Amy and Val?" in page

    response = cora.post(end, {"note": "Planned ending after twelve weeks"})
    assert response.status_code == 302
    pairing.refresh_from_db()
    assert pairing.ended_at is not None and pairing.ended_by == coordinator
    assert pairing.ending_note == "Planned ending after twelve weeks"
    entry = AuditEntry.objects.get(action="pairing_ended")
    assert entry.reason == "Planned ending after twelve weeks"

    page = cora.get(reverse("staff_pairings")).content.decode()
    assert "Show 1 ended pairing" in page
    assert "No active pairings yet." in page
    # Ending it again is not possible: the page says so.
    response = cora.post(end, {"note": ""}, follow=True)
    assert "That pairing has already ended." in response.content.decode()
    assert AuditEntry.objects.filter(action="pairing_ended").count() == 1


# --- Who may use these pages ----------------------------------------------------------------------


def every_page(room: Room, pairing: Pairing, member, request: JoinRequest) -> list[str]:
    return [
        reverse("staff_rooms"),
        reverse("staff_room_new"),
        reverse("staff_room", args=[room.pk]),
        reverse("staff_room_edit", args=[room.pk]),
        reverse("staff_room_assign_lead", args=[room.pk]),
        reverse("staff_room_enrol_member", args=[room.pk]),
        reverse("staff_room_remove_person", args=[room.pk, member.pk]),
        reverse("staff_room_decide_request", args=[room.pk, request.pk]),
        reverse("staff_pairings"),
        reverse("staff_pairing_end", args=[pairing.pk]),
    ]


def test_members_and_volunteers_get_403_on_every_page(
    client, coordinator, mum, other_mum, volunteer
):
    room = services.create_room(actor=coordinator, name="Drop-in", allows_join_requests=True)
    services.enrol_member(actor=coordinator, room_id=room.pk, member=mum)
    request = services.request_to_join(member=other_mum, room_id=room.pk)
    pairing = services.pair(actor=coordinator, member=mum, volunteer=volunteer)
    pages = every_page(room, pairing, mum, request)
    for person in (mum, volunteer):
        client.force_login(person)
        for url in pages:
            assert client.get(url).status_code == 403, (person, url)
            post = client.post(url, {"member": other_mum.pk, "volunteer": volunteer.pk})
            assert post.status_code == 403, (person, url)
    assert Membership.objects.filter(room=room, removed_at=None).count() == 1
    assert Pairing.objects.get().ended_at is None
    assert JoinRequest.objects.get().state == JoinRequest.State.PENDING


def test_staff_pages_ask_visitors_to_log_in(client, coordinator):
    response = client.get(reverse("staff_rooms"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_coordinator_without_two_factor_is_sent_to_set_it_up(client, coordinator_without_mfa):
    client.force_login(coordinator_without_mfa)
    response = client.get(reverse("staff_pairings"))
    assert response.status_code == 302
    assert response["Location"] != reverse("staff_pairings")


def test_only_coordinators_see_the_rooms_and_pairings_links(client, coordinator, volunteer):
    client.force_login(coordinator)
    page = client.get(reverse("profile")).content.decode()
    assert f'href="{reverse("staff_rooms")}"' in page
    assert f'href="{reverse("staff_pairings")}"' in page
    client.force_login(volunteer)
    page = client.get(reverse("profile")).content.decode()
    assert reverse("staff_rooms") not in page
