"""The room page and room list, as pages."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_room_list_shows_groups_with_session_state_and_1to1_chats(client, mum, open_room, pairing):
    client.force_login(mum)
    page = client.get(reverse("home")).content.decode()
    assert "Thursday group" in page and "Open now" in page
    assert "Amy &amp; Val" in page


def test_member_opens_her_room_and_not_anyone_elses(
    client, mum, other_mum, open_room, pairing, other_room
):
    client.force_login(mum)
    assert client.get(reverse("room", args=[open_room.pk])).status_code == 200
    assert client.get(reverse("room", args=[pairing.room_id])).status_code == 200
    client.force_login(other_mum)
    missing = client.get(reverse("room", args=[10**9]))
    for room_id in (pairing.room_id, other_room.pk):
        response = client.get(reverse("room", args=[room_id]))
        assert response.status_code == 404 == missing.status_code


def test_lead_sees_session_controls_and_members_do_not(client, mum, volunteer, group_room):
    client.force_login(volunteer)
    assert 'id="open-session"' in client.get(reverse("room", args=[group_room.pk])).content.decode()
    client.force_login(mum)
    assert (
        'id="open-session"'
        not in client.get(reverse("room", args=[group_room.pk])).content.decode()
    )


def test_coordinator_opening_a_1to1_is_asked_why_first(client, coordinator, pairing):
    client.force_login(coordinator)
    url = reverse("room", args=[pairing.room_id])
    page = client.get(url).content.decode()
    assert "Why are you opening this 1:1 chat?" in page and 'id="room"' not in page
    page = client.post(url, {"reason": ""}).content.decode()
    assert 'id="room"' not in page
    page = client.post(url, {"reason": "Following up a flag"}).content.decode()
    assert 'id="room"' in page and 'data-reason="Following up a flag"' in page
    assert 'id="composer"' not in page  # coordinators never post in others' 1:1s
