"""Coordinators set up rooms and pairings from the admin, through the services."""

import pytest

from audit.models import AuditEntry
from chat.models import Membership, Pairing, Room

pytestmark = pytest.mark.django_db


def test_coordinator_creates_a_room_with_a_schedule_in_the_admin(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        "/admin/chat/room/add/",
        {
            "name": "Tuesday mornings",
            "description": "Coffee and chat",
            "capacity": 8,
            "schedule-TOTAL_FORMS": 1,
            "schedule-INITIAL_FORMS": 0,
            "schedule-0-weekday": 1,
            "schedule-0-starts_at": "10:00",
            "schedule-0-duration_minutes": 60,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    room = Room.objects.get(name="Tuesday mornings")
    assert [(s.weekday, s.starts_at.hour) for s in room.schedule.all()] == [(1, 10)]
    assert AuditEntry.objects.filter(action="room_created", target_id=str(room.pk)).exists()


def test_enrolling_into_a_full_room_shows_the_reason_and_changes_nothing(client, coordinator, mum):
    from chat import services

    room = services.create_room(actor=coordinator, name="Tiny", capacity=0)
    client.force_login(coordinator)
    response = client.post(
        "/admin/chat/membership/add/", {"room": room.pk, "user": mum.pk, "role": "member"}
    )
    assert response.status_code == 200
    assert "Tiny is full" in response.content.decode()
    assert not Membership.objects.exists()


def test_coordinator_pairs_a_member_with_a_volunteer_in_the_admin(
    client, coordinator, mum, volunteer
):
    client.force_login(coordinator)
    response = client.post(
        "/admin/chat/pairing/add/", {"member": mum.pk, "volunteer": volunteer.pk}
    )
    assert response.status_code == 302
    pairing = Pairing.objects.get()
    assert pairing.room.is_direct
    assert set(pairing.room.memberships.values_list("user__display_name", flat=True)) == {
        "Amy",
        "Val",
    }


def test_members_and_volunteers_cannot_use_the_admin(client, mum, volunteer):
    for person in (mum, volunteer):
        client.force_login(person)
        response = client.get("/admin/chat/room/")
        assert response.status_code in (302, 403)
        assert "Tuesday" not in response.content.decode()
