"""A coordinator on her phone sets up a room, enrols a mum and pairs her with a volunteer."""

from datetime import time

from playwright.sync_api import expect

from chat.models import Membership, Pairing, Room
from tests.browser.pages import fits_the_phone


def create_room(page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Rooms", exact=True).click()
    expect(page.get_by_role("heading", name="Rooms")).to_be_visible()
    fits_the_phone(page)
    page.get_by_role("link", name="New room").click()

    page.get_by_label("Room name").fill("Tuesday mornings")
    page.get_by_label("What the room is for").fill("Coffee and chat for new mums")
    page.get_by_label("Capacity").fill("8")
    first_time = page.get_by_role("group", name="Time 1")
    first_time.get_by_label("Day").select_option(label="Tuesday")
    first_time.get_by_label("Starts at").fill("10:30")
    first_time.get_by_label("Length in minutes").fill("90")
    fits_the_phone(page)
    page.get_by_role("button", name="Create room").click()

    expect(page.get_by_role("heading", name="Tuesday mornings", level=1)).to_be_visible()
    expect(page.get_by_text("Tuesday mornings is ready.")).to_be_visible()


def enrol_beth(page) -> None:
    page.get_by_label("Member", exact=True).select_option(label="Beth")
    page.get_by_role("button", name="Enrol member").click()
    expect(page.get_by_text("Beth is enrolled in Tuesday mornings.")).to_be_visible()
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_text("Beth", exact=True)).to_be_visible()
    fits_the_phone(page)


def pair_beth_with_val(page) -> None:
    page.get_by_role("link", name="Pairings", exact=True).first.click()
    expect(page.get_by_role("heading", name="Pairings", level=1)).to_be_visible()
    page.get_by_label("Member", exact=True).select_option(label="Beth")
    page.get_by_role("button", name="Find volunteers for her").click()
    matching = page.get_by_test_id("matching")
    expect(matching.get_by_text("Her language: English")).to_be_visible()
    matching.get_by_label("Val (0 of 3 active)").check()
    page.get_by_role("button", name="Pair them").click()
    expect(page.get_by_text("Beth and Val are paired.")).to_be_visible()
    active = page.get_by_role("region", name="Active pairings")
    expect(active.get_by_role("link", name="Open chat")).to_be_visible()
    fits_the_phone(page)


def test_coordinator_creates_a_room_enrols_a_member_and_pairs_her(
    browse, log_in_as, coordinator, other_mum, volunteer
):
    log_in_as(browse, coordinator)
    browse(create_room)
    room = Room.objects.get(name="Tuesday mornings")
    assert room.kind == Room.Kind.GROUP and room.capacity == 8
    assert [(s.weekday, s.starts_at, s.duration_minutes) for s in room.schedule.all()] == [
        (1, time(10, 30), 90)
    ]

    browse(enrol_beth)
    assert Membership.objects.filter(
        room=room, user=other_mum, role=Membership.Role.MEMBER, removed_at=None
    ).exists()

    browse(pair_beth_with_val)
    pairing = Pairing.objects.get()
    assert (pairing.member, pairing.volunteer, pairing.created_by) == (
        other_mum,
        volunteer,
        coordinator,
    )
    assert pairing.ended_at is None and pairing.room.is_direct
