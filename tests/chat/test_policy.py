"""Who may read, post and run things, tried from the socket and the services."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEntry
from chat import services
from chat.models import Membership, Message, Pairing
from infra.dbwork import in_db_thread
from tests.conftest import make_member, make_person
from tests.sockets import room_ids

pytestmark = pytest.mark.django_db(transaction=True)


def send_frame(room_id: int) -> dict:
    return {"type": "send", "room": room_id, "client_id": str(uuid.uuid4()), "body": "hi"}


async def test_room_she_is_not_in_looks_exactly_like_a_room_that_does_not_exist(
    sockets, mum, other_room
):
    amy = await sockets(mum)
    assert other_room.pk not in room_ids(amy.hello)
    for frame in (
        {"type": "join", "room": other_room.pk},
        {"type": "history", "room": other_room.pk},
        send_frame(other_room.pk),
    ):
        real = await amy.ask(frame, "error")
        missing = await amy.ask({**frame, "room": other_room.pk + 1000}, "error")
        assert real["code"] == missing["code"] == "forbidden"
        assert real["detail"] == missing["detail"]
    assert await Message.objects.acount() == 0


async def test_member_cannot_read_or_post_in_another_pairs_chat(sockets, other_mum, pairing):
    beth = await sockets(other_mum)
    assert pairing.room_id not in room_ids(beth.hello)
    assert (await beth.ask({"type": "join", "room": pairing.room_id}, "error"))[
        "code"
    ] == "forbidden"
    assert (await beth.ask(send_frame(pairing.room_id), "error"))["code"] == "forbidden"


async def test_member_cannot_post_after_removal(sockets, mum, coordinator, open_room):
    amy = await sockets(mum)
    await amy.join(open_room.pk)
    await in_db_thread(services.remove_from_room)(
        actor=coordinator, room_id=open_room.pk, person=mum, reason="moved to another group"
    )
    assert await amy.receive_until("room_removed") == {"type": "room_removed", "room": open_room.pk}
    assert (await amy.ask(send_frame(open_room.pk), "error"))["code"] == "forbidden"
    assert (await amy.ask({"type": "join", "room": open_room.pk}, "error"))["code"] == "forbidden"
    assert await Message.objects.acount() == 0


async def test_volunteer_cannot_open_a_session_in_a_room_she_does_not_lead(
    sockets, other_volunteer, group_room
):
    vera = await sockets(other_volunteer)
    error = await vera.ask({"type": "session", "room": group_room.pk, "action": "open"}, "error")
    assert error["code"] == "forbidden"


async def test_coordinator_may_run_sessions_in_any_group_room(sockets, coordinator, group_room):
    cora = await sockets(coordinator)
    assert group_room.pk in room_ids(cora.hello)
    await cora.join(group_room.pk)
    await cora.send({"type": "session", "room": group_room.pk, "action": "open"})
    assert (await cora.receive_until("session"))["open"] is True


async def test_coordinator_opening_a_1to1_must_say_why_and_it_is_audited(
    sockets, coordinator, pairing
):
    cora = await sockets(coordinator)
    assert pairing.room_id not in room_ids(cora.hello)
    error = await cora.ask({"type": "join", "room": pairing.room_id}, "error")
    assert error["code"] == "reason_required"
    assert not await AuditEntry.objects.filter(action="direct_chat_opened").aexists()
    joined = await cora.join(pairing.room_id, reason="RED flag follow-up")
    assert joined["room"] == pairing.room_id
    entry = await AuditEntry.objects.aget(action="direct_chat_opened")
    assert entry.actor_id == coordinator.pk and entry.reason == "RED flag follow-up"
    assert entry.target_id == str(pairing.pk)
    error = await cora.ask(send_frame(pairing.room_id), "error")
    assert error["code"] == "forbidden"


def test_a_fourth_active_pairing_for_a_volunteer_is_refused(coordinator, volunteer):
    mums = [make_member(f"mum{n}@example.net", f"Mum{n}") for n in range(4)]
    for mum in mums[:3]:
        services.pair(actor=coordinator, member=mum, volunteer=volunteer)
    with pytest.raises(services.ChatError, match="already has 3 active"):
        services.pair(actor=coordinator, member=mums[3], volunteer=volunteer)
    assert Pairing.objects.filter(volunteer=volunteer).count() == 3
    # Ending one frees a place.
    services.end_pairing(actor=coordinator, pairing_id=Pairing.objects.first().pk)
    services.pair(actor=coordinator, member=mums[3], volunteer=volunteer)


def test_only_coordinators_pair_and_only_members_with_volunteers(
    coordinator, mum, other_mum, volunteer
):
    for actor in (mum, volunteer):
        with pytest.raises(PermissionDenied):
            services.pair(actor=actor, member=other_mum, volunteer=volunteer)
    with pytest.raises(services.ChatError):
        services.pair(actor=coordinator, member=mum, volunteer=other_mum)
    assert not Pairing.objects.exists()


def test_enrolment_respects_capacity(coordinator):
    room = services.create_room(actor=coordinator, name="Small group", capacity=2)
    mums = [make_member(f"m{n}@example.net", f"M{n}") for n in range(3)]
    services.enrol_member(actor=coordinator, room_id=room.pk, member=mums[0])
    services.enrol_member(actor=coordinator, room_id=room.pk, member=mums[1])
    with pytest.raises(services.ChatError, match="full"):
        services.enrol_member(actor=coordinator, room_id=room.pk, member=mums[2])
    assert room.memberships.count() == 2


def test_join_request_is_approved_by_a_coordinator(coordinator, mum):
    room = services.create_room(actor=coordinator, name="Open group", allows_join_requests=True)
    closed = services.create_room(actor=coordinator, name="Invite-only group")
    with pytest.raises(services.ChatError):
        services.request_to_join(member=mum, room_id=closed.pk)
    request = services.request_to_join(member=mum, room_id=room.pk)
    assert services.request_to_join(member=mum, room_id=room.pk) == request  # asked once
    services.decide_join_request(actor=coordinator, request_id=request.pk, approve=True)
    assert Membership.objects.get(room=room, user=mum).is_active
    with pytest.raises(services.ChatError, match="already been decided"):
        services.decide_join_request(actor=coordinator, request_id=request.pk, approve=False)


def test_volunteers_cannot_be_enrolled_as_members_and_members_cannot_lead(coordinator, mum):
    room = services.create_room(actor=coordinator, name="Group")
    volunteer = make_person("v2@example.net", "V2", "volunteer")
    with pytest.raises(services.ChatError):
        services.enrol_member(actor=coordinator, room_id=room.pk, member=volunteer)
    with pytest.raises(services.ChatError):
        services.assign_lead(actor=coordinator, room_id=room.pk, volunteer=mum)


async def test_coordinator_cannot_page_through_a_1to1_without_opening_it_with_a_reason(
    sockets, coordinator, mum, pairing
):
    from chat import services as chat_services

    await in_db_thread(chat_services.send_message)(
        author=mum, room_id=pairing.room_id, client_id=uuid.uuid4(), body="private"
    )
    cora = await sockets(coordinator)
    error = await cora.ask({"type": "history", "room": pairing.room_id}, "error")
    assert error["code"] == "reason_required"
    await cora.join(pairing.room_id, reason="flag follow-up")
    page = await cora.ask({"type": "history", "room": pairing.room_id}, "history")
    assert [m["body"] for m in page["messages"]] == ["private"]


def test_the_group_rooms_listed_without_a_place_are_those_she_may_read(
    coordinator, volunteer, mum, group_room, other_room, pairing
):
    """group_rooms_read_without_place_q (her room list) and room_access (one room)
    never disagree: a coordinator reads every group room, and never gets a 1:1
    in her list this way; nobody else reads a room without a place in it."""
    from chat import policy
    from chat.models import Room

    for person in (coordinator, volunteer, mum):
        listed = set(
            Room.objects.filter(policy.group_rooms_read_without_place_q(person)).values_list(
                "pk", flat=True
            )
        )
        readable = {
            room.pk
            for room in Room.objects.filter(kind=Room.Kind.GROUP)
            if policy.room_access(person, room, None).can_read
        }
        assert listed == readable, person.display_name
    assert listed == set()  # Amy, a member, reads no room without her place in it
    assert (
        Room.objects.filter(policy.group_rooms_read_without_place_q(coordinator)).count() == 2
    )  # both group rooms, not the 1:1 chat


@pytest.mark.django_db
def test_who_the_lead_pickers_offer_is_the_rule_for_leading(
    coordinator, coordinator_without_mfa, volunteer, other_volunteer, mum
):
    """`can_lead_q` (the lead and hand-over pickers) agrees with `can_lead` for
    every kind of person: paused, expired and deactivated people are never offered."""
    from datetime import date, timedelta

    from accounts.models import User, VolunteerStatus
    from chat.policy import can_lead, can_lead_q

    other_volunteer.volunteer_record.status = VolunteerStatus.PAUSED
    other_volunteer.volunteer_record.save()
    expired = make_person("eve@example.net", "Eve", "volunteer")
    expired.volunteer_record.dbs_expires_on = date.today() - timedelta(days=1)
    expired.volunteer_record.save()
    gone = make_person("gina@example.net", "Gina", "coordinator")
    gone.is_active = False
    gone.save()

    offered = set(User.objects.filter(can_lead_q()).values_list("pk", flat=True))
    assert offered == {p.pk for p in User.objects.all() if can_lead(p)}
    assert offered == {coordinator.pk, coordinator_without_mfa.pk, volunteer.pk}
