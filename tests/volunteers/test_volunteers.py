"""Volunteer records: who may lead and be paired, the record pages, matching,
handovers when a volunteer pauses or leaves, and debriefs after a hard chat."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse

import notify
from accounts import policy
from accounts.models import (
    DebriefRequest,
    ExperienceTag,
    Language,
    MemberProfile,
    Role,
    Supervision,
    VolunteerRecord,
    VolunteerStatus,
)
from audit.models import AuditEntry
from chat import services as chat_services
from chat.audit_actions import ChatAuditAction
from chat.models import Membership, Pairing, Session
from chat.policy import room_access
from chat.selectors import rooms_for
from moderation import services as moderation_services
from moderation.models import Level
from tests.conftest import make_member, make_person
from volunteers import selectors
from volunteers import services as volunteers
from volunteers.audit_actions import VolunteersAuditAction

pytestmark = pytest.mark.django_db
TODAY = date.today()


@pytest.fixture
def cora(client, coordinator):
    client.force_login(coordinator)
    return client


def set_record(person, **fields) -> VolunteerRecord:
    VolunteerRecord.objects.filter(user=person).update(**fields)
    person.refresh_from_db()
    return VolunteerRecord.objects.get(user=person)


def pause(coordinator, person):
    return volunteers.change_status(
        actor=coordinator, volunteer=person, status=VolunteerStatus.PAUSED, reason="a break"
    )


def red_flag_in(room, about, *, body="I want to end it all tonight"):
    """A RED message from `about` in `room`, flagged by the scanner."""
    chat_services.send_message(author=about, room_id=room.pk, client_id=uuid.uuid4(), body=body)
    flag = room.messages.get(author=about).flags.get()
    assert flag.level == Level.RED
    return flag


# --- who is cleared -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "cleared", "why"),
    [
        ({}, True, ""),
        ({"status": VolunteerStatus.PAUSED}, False, "Her status is “paused”."),
        ({"status": VolunteerStatus.LEFT}, False, "Her status is “left”."),
        ({"status": VolunteerStatus.IN_TRAINING}, False, "Her status is “in training”."),
        ({"dbs_expires_on": TODAY}, True, ""),  # valid through its last day
        (
            {"dbs_expires_on": TODAY - timedelta(days=1)},
            False,
            f"Her DBS check expired on {TODAY - timedelta(days=1):%-d %B %Y}.",
        ),
        ({"dbs_expires_on": None}, False, "No DBS check is recorded."),
    ],
)
def test_only_an_active_volunteer_with_a_dbs_check_in_date_is_cleared(
    volunteer, fields, cleared, why
):
    set_record(volunteer, **fields)
    assert policy.is_cleared_volunteer(volunteer) is cleared
    assert policy.why_not_cleared(volunteer) == why
    assert Role.VOLUNTEER in [volunteer.role]
    from django.contrib.auth import get_user_model

    in_query = get_user_model().objects.filter(policy.cleared_volunteers_q()).contains(volunteer)
    assert in_query is cleared


def test_an_invited_volunteer_starts_as_applying_and_cannot_lead(coordinator):
    from accounts import services as account_services

    invitation = account_services.invite(
        actor=coordinator,
        email="nell@example.net",
        role=Role.VOLUNTEER,
        accept_url_for=lambda token: f"/invitation/{token}/",
    )
    nell = account_services.accept_invitation(
        token=invitation.token, display_name="Nell", password="a long enough passphrase 1"
    )
    assert nell.volunteer_record.status == VolunteerStatus.APPLYING
    assert not policy.is_cleared_volunteer(nell)


@pytest.mark.parametrize(
    "fields", [{"status": VolunteerStatus.PAUSED}, {"dbs_expires_on": TODAY - timedelta(days=1)}]
)
def test_a_paused_or_expired_volunteer_cannot_be_paired_or_lead(
    coordinator, mum, volunteer, fields
):
    set_record(volunteer, **fields)
    with pytest.raises(chat_services.ChatError, match="Val can't be paired just now"):
        chat_services.pair(actor=coordinator, member=mum, volunteer=volunteer)
    room = chat_services.create_room(actor=coordinator, name="Tuesday group")
    with pytest.raises(chat_services.ChatError, match="DBS check in date"):
        chat_services.assign_lead(actor=coordinator, room_id=room.pk, volunteer=volunteer)
    assert not Pairing.objects.exists()
    assert not Membership.objects.filter(user=volunteer).exists()


def test_the_pairing_page_refuses_a_paused_volunteer_and_does_not_offer_her(
    cora, coordinator, mum, volunteer, other_volunteer
):
    pause(coordinator, volunteer)
    page = cora.get(reverse("staff_pairings"), {"member": mum.pk}).content.decode()
    assert "Vera (0 of 3 active)" in page
    assert "Val (" not in page
    response = cora.post(
        reverse("staff_pairings"),
        {
            "member": mum.pk,
            "volunteer": volunteer.pk,
            "planned_end": (TODAY + timedelta(weeks=8)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Pairing.objects.exists()


def test_the_lead_form_does_not_offer_a_volunteer_whose_check_expired(
    cora, coordinator, volunteer, other_volunteer
):
    set_record(volunteer, dbs_expires_on=TODAY - timedelta(days=1))
    room = chat_services.create_room(actor=coordinator, name="Tuesday group")
    page = cora.get(reverse("staff_room", args=[room.pk])).content.decode()
    assert "Vera (volunteer)" in page
    assert "Val (volunteer)" not in page
    response = cora.post(reverse("staff_room_assign_lead", args=[room.pk]), {"lead": volunteer.pk})
    assert response.status_code in (200, 302)
    assert not Membership.objects.filter(user=volunteer).exists()


def test_a_paused_volunteer_loses_the_staff_view_of_her_rooms_and_cannot_open_a_session(
    coordinator, group_room, pairing, volunteer
):
    pause(coordinator, volunteer)
    volunteer.refresh_from_db()
    for room in (group_room, pairing.room):
        membership = Membership.objects.get(room=room, user=volunteer)
        assert not room_access(volunteer, room, membership).can_read
    with pytest.raises(chat_services.ChatError) as refused:
        chat_services.open_session(actor=volunteer, room_id=group_room.pk)
    assert refused.value.code == "forbidden"
    assert not Session.objects.exists()
    # Her room list no longer offers rooms she cannot open.
    assert rooms_for(user=volunteer) == []


# --- status changes and handovers ---------------------------------------------------------


def test_a_volunteer_cannot_pause_while_a_red_flag_in_her_room_is_open(
    coordinator, pairing, mum, volunteer
):
    flag = red_flag_in(pairing.room, mum)
    with pytest.raises(volunteers.VolunteerError, match="RED flag open"):
        pause(coordinator, volunteer)
    assert VolunteerRecord.objects.get(user=volunteer).status == VolunteerStatus.ACTIVE
    moderation_services.resolve_flag(
        actor=coordinator, flag_id=flag.pk, outcome="support_given", note="called her"
    )
    pause(coordinator, volunteer)
    entry = AuditEntry.objects.get(action=VolunteersAuditAction.VOLUNTEER_STATUS_CHANGED)
    assert (entry.actor, entry.target_id, entry.reason) == (
        coordinator,
        str(volunteer.pk),
        "a break",
    )
    assert entry.details == {"from": "active", "to": "paused"}


def test_status_change_needs_a_reason_and_a_real_status(coordinator, volunteer):
    with pytest.raises(volunteers.VolunteerError, match="say why"):
        volunteers.change_status(
            actor=coordinator, volunteer=volunteer, status=VolunteerStatus.LEFT, reason=" "
        )
    with pytest.raises(volunteers.VolunteerError, match="Choose a status"):
        volunteers.change_status(
            actor=coordinator, volunteer=volunteer, status="retired", reason="x"
        )
    assert VolunteerRecord.objects.get(user=volunteer).status == VolunteerStatus.ACTIVE


def test_the_record_page_lists_what_a_paused_volunteer_leaves_and_hands_it_over(
    cora, coordinator, group_room, pairing, mum, volunteer, other_volunteer
):
    pause(coordinator, volunteer)
    page = cora.get(reverse("staff_volunteer", args=[volunteer.pk])).content.decode()
    assert 'data-testid="handover"' in page
    assert "1:1 chat with Amy" in page and "Leading Thursday group" in page
    assert "Her status is “paused”." in page

    response = cora.post(
        reverse("staff_hand_over_pairing", args=[volunteer.pk, pairing.pk]),
        {
            f"pairing-{pairing.pk}-volunteer": other_volunteer.pk,
            f"pairing-{pairing.pk}-reason": "Val paused",
        },
        follow=True,
    )
    assert "Amy&#x27;s 1:1 chat is now with Vera." in response.content.decode()
    pairing.refresh_from_db()
    assert pairing.volunteer == other_volunteer and pairing.ended_at is None
    assert pairing.room.name == "Amy & Vera"
    assert Membership.objects.get(room=pairing.room, user=volunteer).removed_at is not None
    vera_place = Membership.objects.get(room=pairing.room, user=other_volunteer)
    assert room_access(other_volunteer, pairing.room, vera_place).can_post
    assert AuditEntry.objects.get(action=ChatAuditAction.PAIRING_HANDED_OVER).reason == "Val paused"

    response = cora.post(
        reverse("staff_hand_over_room", args=[volunteer.pk, group_room.pk]),
        {
            f"room-{group_room.pk}-volunteer": other_volunteer.pk,
            f"room-{group_room.pk}-reason": "Val paused",
        },
        follow=True,
    )
    assert "Vera now leads Thursday group." in response.content.decode()
    leads = Membership.objects.filter(
        room=group_room, role=Membership.Role.LEAD, removed_at__isnull=True
    )
    assert [m.user for m in leads] == [other_volunteer]
    page = cora.get(reverse("staff_volunteer", args=[volunteer.pk])).content.decode()
    assert 'data-testid="handover"' not in page


def test_a_pairing_cannot_be_handed_to_a_volunteer_who_is_not_cleared(
    coordinator, pairing, volunteer, other_volunteer
):
    pause(coordinator, volunteer)
    set_record(other_volunteer, dbs_expires_on=TODAY - timedelta(days=3))
    with pytest.raises(chat_services.ChatError, match="Vera can't be paired just now"):
        chat_services.hand_over_pairing(
            actor=coordinator, pairing_id=pairing.pk, volunteer=other_volunteer, reason="x"
        )
    pairing.refresh_from_db()
    assert pairing.volunteer == volunteer


def test_a_room_with_no_other_lead_is_not_left_without_one(
    cora, coordinator, group_room, volunteer
):
    pause(coordinator, volunteer)
    response = cora.post(
        reverse("staff_hand_over_room", args=[volunteer.pk, group_room.pk]), {}, follow=True
    )
    assert "has no other lead" in response.content.decode()
    assert Membership.objects.get(room=group_room, user=volunteer).removed_at is None


# --- the record -----------------------------------------------------------------------


def test_coordinator_records_checks_training_references_and_supervision(
    cora, coordinator, volunteer
):
    url = lambda action: reverse("staff_volunteer_change", args=[volunteer.pk, action])  # noqa: E731
    cora.post(url("dbs"), {"checked_on": "2026-01-10", "expires_on": "2029-01-10"})
    cora.post(url("training"), {"course": "Listening skills", "completed_on": "2026-02-01"})
    cora.post(
        url("reference"),
        {
            "referee_name": "Pat Boss",
            "relationship": "employer",
            "received_on": "2026-01-05",
            "satisfactory": "on",
        },
    )
    cora.post(
        url("supervision"),
        {"held_on": "2026-03-01", "supervisor": coordinator.pk, "note": "Tired; lighter load"},
    )
    record = VolunteerRecord.objects.get(user=volunteer)
    assert (record.dbs_checked_on, record.dbs_expires_on) == (date(2026, 1, 10), date(2029, 1, 10))
    page = cora.get(reverse("staff_volunteer", args=[volunteer.pk])).content.decode()
    for shown in ("Listening skills", "Pat Boss", "Tired; lighter load", "10 Jan 2029"):
        assert shown in page
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        VolunteersAuditAction.DBS_CHECK_RECORDED,
        VolunteersAuditAction.TRAINING_RECORDED,
        VolunteersAuditAction.REFERENCE_RECORDED,
        VolunteersAuditAction.SUPERVISION_RECORDED,
    } <= actions
    # The supervision note never goes into the audit log.
    assert not AuditEntry.objects.filter(details__icontains="Tired").exists()


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"checked_on": "2026-05-01", "expires_on": "2026-04-01"}, "must be after the check date"),
        (
            {"checked_on": (TODAY + timedelta(days=2)).isoformat(), "expires_on": "2040-01-01"},
            "future",
        ),
        ({"checked_on": "not a date", "expires_on": "2029-01-01"}, "Enter a valid date"),
    ],
)
def test_a_bad_dbs_check_is_refused_and_changes_nothing(cora, volunteer, data, error):
    before = VolunteerRecord.objects.get(user=volunteer).dbs_expires_on
    response = cora.post(
        reverse("staff_volunteer_change", args=[volunteer.pk, "dbs"]), data, follow=True
    )
    assert "Nothing was saved." in response.content.decode()
    assert error in response.content.decode()
    assert VolunteerRecord.objects.get(user=volunteer).dbs_expires_on == before


def test_volunteer_pages_are_for_coordinators_only(client, mum, volunteer):
    for person in (mum, volunteer):
        client.force_login(person)
        assert client.get(reverse("staff_volunteers")).status_code == 403
        assert client.get(reverse("staff_volunteer", args=[volunteer.pk])).status_code == 403
        response = client.post(
            reverse("staff_volunteer_change", args=[volunteer.pk, "status"]),
            {"status": "left", "reason": "x"},
        )
        assert response.status_code == 403
    assert VolunteerRecord.objects.get(user=volunteer).status == VolunteerStatus.ACTIVE


def test_the_volunteer_list_shows_checks_due_and_who_needs_a_handover(
    cora, coordinator, volunteer, other_volunteer, pairing
):
    set_record(other_volunteer, dbs_expires_on=TODAY + timedelta(days=10))
    pause(coordinator, volunteer)
    page = cora.get(reverse("staff_volunteers")).content.decode()
    assert "1 to hand over" in page
    assert "soon" in page
    page = cora.get(reverse("staff_volunteers"), {"status": "paused"}).content.decode()
    assert "Val" in page and "Vera" not in page


def test_a_volunteer_chooses_her_languages_and_lived_experience(client, volunteer):
    client.force_login(volunteer)
    response = client.post(
        reverse("my_volunteering"),
        {
            "languages": ["en", "pl"],
            "experience_tags": ["nicu", "pnd"],
            "availability": "Mornings",
        },
    )
    assert response.status_code == 302
    record = VolunteerRecord.objects.get(user=volunteer)
    assert (record.languages, record.experience_tags) == (["en", "pl"], ["nicu", "pnd"])
    response = client.post(reverse("my_volunteering"), {"languages": ["xx"]})
    assert "Select a valid choice" in response.content.decode()
    assert VolunteerRecord.objects.get(user=volunteer).languages == ["en", "pl"]


def test_a_volunteer_sees_her_supervision_dates_but_never_the_notes(client, coordinator, volunteer):
    Supervision.objects.create(
        volunteer=volunteer,
        held_on=TODAY - timedelta(days=3),
        supervisor=coordinator,
        note="Worried about her sleep",
        recorded_by=coordinator,
    )
    client.force_login(volunteer)
    page = client.get(reverse("my_volunteering")).content.decode()
    assert f"{TODAY - timedelta(days=3):%-d %b %Y}" in page
    assert "Worried about her sleep" not in page


def test_members_have_no_volunteering_page(client, mum):
    client.force_login(mum)
    assert client.get(reverse("my_volunteering")).status_code == 403


# --- matching ---------------------------------------------------------------------------


def volunteer_with(email, name, *, languages, tags=(), pairings=0, coordinator=None):
    person = make_person(email, name, Role.VOLUNTEER)
    set_record(person, languages=list(languages), experience_tags=list(tags))
    for index in range(pairings):
        member = make_member(f"{name}-{index}@example.net", f"{name} mum {index}")
        chat_services.pair(actor=coordinator, member=member, volunteer=person)
    return person


def test_matching_offers_cleared_volunteers_with_room_her_language_and_a_shared_experience(
    coordinator, mum
):
    MemberProfile.objects.filter(user=mum).update(
        language=Language.POLISH, experience_wanted=[ExperienceTag.NICU]
    )
    mum.refresh_from_db()
    best = volunteer_with("a@x.net", "Ania", languages=["pl", "en"], tags=["nicu", "pnd"])
    busy = volunteer_with(
        "b@x.net", "Basia", languages=["pl"], tags=["nicu"], pairings=1, coordinator=coordinator
    )
    volunteer_with("c@x.net", "Celina", languages=["pl"], tags=["pnd"])  # no shared experience
    volunteer_with("d@x.net", "Dana", languages=["en"], tags=["nicu"])  # not her language
    full = volunteer_with(
        "e@x.net", "Ewa", languages=["pl"], tags=["nicu"], pairings=3, coordinator=coordinator
    )
    paused = volunteer_with("f@x.net", "Fran", languages=["pl"], tags=["nicu"])
    set_record(paused, status=VolunteerStatus.PAUSED)
    assert full.pk and paused.pk
    offered = [row.volunteer for row in selectors.matching_volunteers(member=mum)]
    assert offered == [best, busy]  # lightest caseload first

    # Without a wish for shared experience, language and room decide.
    MemberProfile.objects.filter(user=mum).update(experience_wanted=[])
    mum.refresh_from_db()
    offered = {row.volunteer.display_name for row in selectors.matching_volunteers(member=mum)}
    assert offered == {"Ania", "Basia", "Celina"}


def test_the_pairing_page_shows_her_matches_and_falls_back_to_everyone_with_room(
    cora, coordinator, mum, volunteer
):
    MemberProfile.objects.filter(user=mum).update(language=Language.SOMALI)
    page = cora.get(reverse("staff_pairings"), {"member": mum.pk}).content.decode()
    assert "Her language: Somali" in page
    assert "No volunteer matches her language" in page
    assert "Val (0 of 3 active)" in page  # the choice stays the coordinator's
    set_record(volunteer, languages=["so"])
    page = cora.get(reverse("staff_pairings"), {"member": mum.pk}).content.decode()
    assert "No volunteer matches" not in page and "Val (0 of 3 active)" in page


def test_a_volunteers_own_caseload_cap_counts(coordinator, volunteer, mum):
    set_record(volunteer, caseload_cap=1)
    chat_services.pair(actor=coordinator, member=make_member("z@x.net", "Zoe"), volunteer=volunteer)
    with pytest.raises(chat_services.ChatError, match=r"her most is 1"):
        chat_services.pair(actor=coordinator, member=mum, volunteer=volunteer)


# --- debriefs -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_after_a_red_flag_in_her_room_a_volunteer_is_offered_a_debrief_that_reaches_coordinators(
    client,
    coordinator,
    pairing,
    mum,
    volunteer,
    other_volunteer,
    django_capture_on_commit_callbacks,
):
    flag = red_flag_in(pairing.room, mum)
    client.force_login(other_volunteer)
    assert 'data-testid="debrief-offer"' not in client.get(reverse("home")).content.decode()
    client.force_login(volunteer)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="debrief-offer"' in page and "Amy &amp; Val" in page
    room_page = client.get(reverse("room", args=[pairing.room_id])).content.decode()
    assert 'data-testid="debrief-offer"' not in room_page  # never over a live chat
    notify.drain()
    mail.outbox.clear()
    response = client.post(
        reverse("answer_debrief", args=[flag.pk]), {"answer": "yes", "note": "Shaken"}
    )
    notify.drain()
    assert response.status_code == 302
    request = DebriefRequest.objects.get()
    assert (request.volunteer, request.flag, request.note, request.declined) == (
        volunteer,
        flag,
        "Shaken",
        False,
    )
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert "mental health" not in mail.outbox[0].body.lower()
    assert 'data-testid="debrief-offer"' not in client.get(reverse("home")).content.decode()

    client.force_login(coordinator)
    page = client.get(reverse("staff_volunteers")).content.decode()
    assert 'data-testid="debrief-request"' in page and "Shaken" in page
    client.post(reverse("staff_debrief_handled", args=[request.pk]))
    request.refresh_from_db()
    assert request.handled_by == coordinator
    assert AuditEntry.objects.filter(action=VolunteersAuditAction.DEBRIEF_HANDLED).exists()
    assert (
        'data-testid="debrief-request"'
        not in client.get(reverse("staff_volunteers")).content.decode()
    )


def test_not_now_declines_the_offer_without_telling_anyone(
    client, pairing, mum, volunteer, django_capture_on_commit_callbacks
):
    flag = red_flag_in(pairing.room, mum)
    client.force_login(volunteer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("answer_debrief", args=[flag.pk]), {"answer": "no"})
    notify.drain()
    assert DebriefRequest.objects.get().declined
    assert mail.outbox == []
    assert 'data-testid="debrief-offer"' not in client.get(reverse("home")).content.decode()
    # The offer cannot be answered twice, nor for a flag outside her rooms.
    with pytest.raises(volunteers.VolunteerError):
        volunteers.answer_debrief_offer(volunteer=volunteer, flag_id=flag.pk, wanted=True)


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("training", {"course": "Listening", "completed_on": "2099-01-01"}),
        (
            "reference",
            {"referee_name": "Pat", "relationship": "boss", "received_on": "2099-01-01"},
        ),
        ("supervision", {"held_on": "2099-01-01"}),
    ],
)
def test_records_dated_in_the_future_are_refused(cora, coordinator, volunteer, action, data):
    if action == "supervision":
        data = {**data, "supervisor": coordinator.pk}
    response = cora.post(
        reverse("staff_volunteer_change", args=[volunteer.pk, action]), data, follow=True
    )
    assert "Nothing was saved." in response.content.decode()
    assert "can&#x27;t be in the future" in response.content.decode()
    assert not AuditEntry.objects.filter(target_id=str(volunteer.pk)).exists()


# --- a role change away from volunteer ----------------------------------------------------


def test_a_role_change_away_from_volunteer_leaves_her_rooms_and_hands_over_her_pairings(
    cora, coordinator, open_room, pairing, mum, volunteer, other_volunteer
):
    """She can no longer read or post where she led; the mum's 1:1 stays open (not
    ended: a planned ending would make it read-only) and is listed for hand-over,
    and the session she opened closes."""
    response = cora.post(
        reverse("staff_person", args=[volunteer.pk]),
        {"role": Role.MEMBER, "reason": "stepping back"},
        follow=True,
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("staff_volunteer", args=[volunteer.pk])
    assert "need a new volunteer" in page and 'data-testid="handover"' in page
    assert "1:1 chat with Amy" in page
    assert "Thursday group" in page  # left with no lead: the coordinator is told

    volunteer.refresh_from_db()
    assert volunteer.role == Role.MEMBER
    assert not Membership.objects.filter(
        user=volunteer, role=Membership.Role.LEAD, removed_at__isnull=True
    ).exists()
    for room in (open_room, pairing.room):
        assert not room_access(volunteer, room, None).can_read
    assert Session.objects.get(room=open_room).closed_at is not None
    pairing.refresh_from_db()
    assert pairing.ended_at is None
    assert room_access(
        mum, pairing.room, Membership.objects.get(room=pairing.room, user=mum)
    ).can_post
    assert AuditEntry.objects.filter(
        action=ChatAuditAction.LEAD_UNASSIGNED, target_id=str(volunteer.pk)
    ).exists()
    listed = {row.volunteer.pk: row.needs_handover for row in selectors.volunteer_rows()}
    assert listed[volunteer.pk] == 1

    chat_services.hand_over_pairing(
        actor=coordinator,
        pairing_id=pairing.pk,
        volunteer=other_volunteer,
        reason="Val stepped back",
    )
    pairing.refresh_from_db()
    assert pairing.volunteer == other_volunteer and pairing.ended_at is None
    assert volunteer.pk not in {row.volunteer.pk for row in selectors.volunteer_rows()}
    assert (
        volunteers.change_role(
            actor=coordinator, person=volunteer, role=Role.VOLUNTEER, reason="back"
        )
        is None
    )


def test_a_volunteer_made_coordinator_no_longer_runs_her_1to1_as_its_volunteer(
    coordinator, pairing, mum, volunteer
):
    left = volunteers.change_role(
        actor=coordinator, person=volunteer, role=Role.COORDINATOR, reason="promoted"
    )
    assert [p.pk for p in left.pairings_to_hand_over] == [pairing.pk]
    volunteer.refresh_from_db()
    access = room_access(
        volunteer, pairing.room, Membership.objects.get(room=pairing.room, user=volunteer)
    )
    # As a coordinator she may read it with a stated reason, never post as the pair.
    assert not access.can_post and access.needs_reason


@pytest.mark.parametrize(
    "status", [VolunteerStatus.PAUSED, VolunteerStatus.LEFT, VolunteerStatus.IN_TRAINING]
)
def test_a_volunteer_no_longer_active_has_the_session_she_opened_closed(
    coordinator, open_room, volunteer, status
):
    volunteers.change_status(actor=coordinator, volunteer=volunteer, status=status, reason="x")
    assert Session.objects.get(room=open_room).closed_at is not None


def test_a_session_a_coordinator_opened_stays_open_when_the_lead_is_paused(
    coordinator, group_room, volunteer
):
    chat_services.open_session(actor=coordinator, room_id=group_room.pk)
    pause(coordinator, volunteer)
    assert Session.objects.get(room=group_room).closed_at is None
