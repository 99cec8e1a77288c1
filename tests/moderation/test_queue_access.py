"""Who may use the queue, and what she sees: the same clearance question the socket asks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import User, VolunteerRecord, VolunteerStatus
from chat import services as chat_services
from moderation import services
from moderation.models import Flag
from tests.moderation.messages import RED
from volunteers import services as volunteers

pytestmark = pytest.mark.django_db


def expire_dbs(volunteer, *, on: date) -> None:
    VolunteerRecord.objects.filter(user=volunteer).update(dbs_expires_on=on)


def test_a_volunteer_whose_dbs_check_expired_is_told_kindly_why_the_queue_is_closed(
    client, volunteer, red_flag
):
    expired_on = date.today() - timedelta(days=1)
    expire_dbs(volunteer, on=expired_on)
    client.force_login(volunteer)
    response = client.get(reverse("moderation_queue"))
    page = response.content.decode()
    assert response.status_code == 403
    assert f"Your DBS check expired on {expired_on:%-d %B %Y}." in page
    assert "talk to your coordinator" in page
    assert RED not in page and "Amy" not in page


def test_a_paused_volunteer_is_told_her_volunteering_is_paused(
    client, coordinator, volunteer, open_room
):
    volunteers.change_status(
        actor=coordinator, volunteer=volunteer, status=VolunteerStatus.PAUSED, reason="a break"
    )
    client.force_login(volunteer)
    response = client.get(reverse("moderation_queue"))
    assert response.status_code == 403
    assert "Your volunteering is paused at the moment." in response.content.decode()
    # The concern form is one of the queue's tools: closed the same way.
    response = client.get(reverse("raise_concern"))
    assert response.status_code == 403 and "paused" in response.content.decode()


def test_a_member_gets_the_plain_refusal_not_a_volunteers_explanation(client, other_mum):
    client.force_login(other_mum)
    response = client.get(reverse("moderation_queue"))
    assert response.status_code == 403
    assert "coordinator" in response.content.decode()
    assert "closed to you for now" not in response.content.decode()


def test_a_lapsed_volunteer_cannot_silence_a_red_flag_so_the_re_alert_goes_on(
    client, volunteer, red_flag
):
    """Acknowledging stops the 5-minute re-alert and lets the session close: over
    HTTP and in the service, only for those who may lead there now."""
    expire_dbs(volunteer, on=date.today() - timedelta(days=1))
    client.force_login(volunteer)
    client.post(reverse("flag_act", args=[red_flag.pk, "acknowledge"]))
    client.post(reverse("flag_act", args=[red_flag.pk, "escalate"]), {"note": "x"})
    red_flag.refresh_from_db()
    assert red_flag.acknowledged_at is None and red_flag.escalated_at is None
    lapsed = User.objects.get(pk=volunteer.pk)  # as a request would load her
    with pytest.raises(PermissionDenied):
        services.acknowledge_flag(actor=lapsed, flag_id=red_flag.pk)
    with pytest.raises(PermissionDenied):
        services.escalate_flag(actor=lapsed, flag_id=red_flag.pk, note="x")


def test_a_volunteer_whose_check_runs_until_today_still_has_her_queue(client, volunteer, red_flag):
    expire_dbs(volunteer, on=date.today())
    client.force_login(volunteer)
    assert RED in client.get(reverse("moderation_queue")).content.decode()


# --- what a card shows: only flags she may see ----------------------------------------------


def earlier_flags_line(page: str) -> str:
    start = page.find("Earlier flags about")
    return page[start : page.find("</p>", start)] if start >= 0 else ""


@pytest.fixture
def amys_other_flags(coordinator, mum, other_volunteer, group_room):
    """Before her flag in Val's group: a RED from her private 1:1 with Vera, a
    questionnaire's risk item, and an AMBER in the group itself."""
    pairing = chat_services.pair(actor=coordinator, member=mum, volunteer=other_volunteer)
    private = Flag.objects.create(
        source=Flag.Source.SCANNER,
        level="RED",
        category="abuse_dv",
        room_id=pairing.room_id,
        subject=mum,
    )
    questionnaire = services.flag_questionnaire_risk(member=mum, measure_name="EPDS", items=(10,))
    in_group = Flag.objects.create(
        source=Flag.Source.SCANNER,
        level="AMBER",
        category="hostility",
        room_id=group_room.pk,
        subject=mum,
    )
    return {"private": private, "questionnaire": questionnaire, "in_group": in_group}


def test_earlier_flags_on_a_card_are_only_those_from_rooms_she_leads(
    client, volunteer, coordinator, amys_other_flags, red_flag
):
    client.force_login(volunteer)
    line = earlier_flags_line(client.get(reverse("moderation_queue")).content.decode())
    assert "AMBER hostility" in line
    assert "abuse_dv" not in line and "self_harm" not in line
    # The coordinators see the whole picture.
    client.force_login(coordinator)
    pages = client.get(reverse("moderation_queue")).content.decode()
    assert "RED abuse_dv" in pages and "AMBER self_harm" in pages


def test_which_flags_she_sees_is_the_rule_for_acting_on_them(
    volunteer, other_volunteer, coordinator, mum, amys_other_flags, red_flag
):
    """flags_visible_q (the queries) and can_act_on_flag (one flag) never disagree."""
    from moderation import policy
    from moderation.selectors import led_room_ids

    flags = list(Flag.objects.all())
    assert len(flags) == 4
    for person in (volunteer, other_volunteer, coordinator, mum):
        rooms = led_room_ids(person)
        shown = set(
            Flag.objects.filter(policy.flags_visible_q(person, led_room_ids=rooms)).values_list(
                "pk", flat=True
            )
        )
        allowed = {
            f.pk for f in flags if policy.can_act_on_flag(person, flag=f, led_room_ids=rooms)
        }
        assert shown == allowed, person.display_name
    assert shown == set()  # Amy, a member, sees none
