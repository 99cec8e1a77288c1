"""Display names cannot pass for the team, hide characters, or turn text around (issue 14)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import display_names
from accounts.forms import AcceptInvitationForm, MemberSignupForm
from accounts.models import Role

pytestmark = pytest.mark.django_db

# Each reads as, or speaks as, the team: Val is a volunteer, Cora a coordinator.
IMPERSONATIONS = [
    "Val",
    "VAL",
    "val",
    "Vａl",  # full-width a
    "Vаl",  # Cyrillic а
    "VaI",  # capital i for l
    "V.a.l",
    "V a l",
    "Cora",
    "C0RA",
    "Cora (coordinator)",
    "Amy - volunteer",
    "Amy (Vo|unteer)",
    "Coordinator",
    "Ｃｏｏｒｄｉｎａｔｏｒ",
    "Moderator Sam",
    "Admin",
    "Village Team",
    "staff",
    "Beth (c00rdinator)",
]
HIDDEN = [
    "Amy\u202e",  # right-to-left override
    "\u202eymA",
    "A\u200bmy",  # zero-width space
    "Amy\u2066",  # isolate
    "Amy\u200f",  # right-to-left mark
    "A\ufeffmy",  # zero-width no-break space
    "Amy\x07",  # a control character
    "Amy\ue000",  # private use
    "\u3164",  # Hangul filler: a "letter" that draws nothing
    "Amy\U000e0041",  # a tag character, invisible text
]


def post_profile(client, name):
    return client.post(reverse("profile"), {"display_name": name})


@pytest.mark.parametrize("name", IMPERSONATIONS)
def test_a_member_cannot_take_a_name_that_reads_as_the_team(
    client, mum, volunteer, coordinator, name
):
    client.force_login(mum)
    response = post_profile(client, name)
    assert response.status_code == 200
    page = response.content.decode()
    assert "kept for the Village team" in page or "belongs to someone on the Village team" in page
    mum.refresh_from_db()
    assert mum.display_name == "Amy"


@pytest.mark.parametrize("name", HIDDEN)
def test_a_name_with_hidden_or_direction_characters_is_refused_in_plain_words(client, mum, name):
    client.force_login(mum)
    response = post_profile(client, name)
    assert response.status_code == 200
    assert "hidden character" in response.content.decode() or "at least one letter" in (
        response.content.decode()
    )
    mum.refresh_from_db()
    assert mum.display_name == "Amy"


@pytest.mark.parametrize(
    "name, kept",
    [
        ("Amy B", "Amy B"),
        ("Zoë", "Zoë"),
        ("Staffordshire Sue", "Staffordshire Sue"),
        ("Amy 👩\u200d👧", "Amy 👩\u200d👧"),  # ZWJ inside an emoji sequence is writing
        ("مریم\u200cجان", "مریم\u200cجان"),  # ZWNJ in Farsi is writing too
        ("Ａｍｙ Ｂ", "Amy B"),  # kept in its plain form
    ],
)
def test_ordinary_names_are_kept(client, mum, volunteer, name, kept):
    client.force_login(mum)
    assert post_profile(client, name).status_code == 302
    mum.refresh_from_db()
    assert mum.display_name == kept


def test_a_volunteer_keeps_her_own_name_but_not_another_volunteers(
    client, volunteer, other_volunteer
):
    client.force_login(volunteer)
    assert post_profile(client, "Val").status_code == 302
    client.force_login(other_volunteer)
    response = post_profile(client, "VAL")
    assert response.status_code == 200
    assert "Someone else on the team has that name" in response.content.decode()
    other_volunteer.refresh_from_db()
    assert other_volunteer.display_name == "Vera"


def test_signup_refuses_a_name_that_reads_as_the_team(volunteer):
    form = MemberSignupForm(
        data={
            "display_name": "Vаl",
            "email": "new@example.net",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
        }
    )
    assert not form.is_valid()
    assert "belongs to someone on the Village team" in str(form.errors["display_name"])


def test_an_invited_volunteer_cannot_take_a_look_alike_of_a_team_name(coordinator):
    form = AcceptInvitationForm(
        data={"display_name": "Cоra", "password1": "x" * 12, "password2": "x" * 12}
    )
    assert not form.is_valid()
    assert "Someone else on the team" in str(form.errors["display_name"])


def test_the_admin_applies_the_same_rules(client, site_admin, mum, volunteer):
    client.force_login(site_admin)
    response = client.post(
        f"/admin/accounts/user/{mum.pk}/change/",
        {"display_name": "Val (volunteer)", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "kept for the Village team" in response.content.decode()
    mum.refresh_from_db()
    assert mum.display_name == "Amy"


def test_members_named_before_the_rules_are_listed_not_changed(mum, volunteer):
    mum.display_name = "Vаl"
    mum.save(update_fields=["display_name"])
    assert display_names.members_with_confusing_names() == [mum]
    mum.refresh_from_db()
    assert mum.display_name == "Vаl"


def test_role_words_are_free_for_the_team_itself(coordinator):
    assert (
        display_names.check_display_name(
            "Cora (coordinator)", role=Role.COORDINATOR, person=coordinator
        )
        == "Cora (coordinator)"
    )


def test_the_check_command_lists_old_names_with_their_hidden_characters(mum, volunteer):
    from io import StringIO

    from django.core.management import call_command

    mum.display_name = "Amy\u202e"
    mum.save(update_fields=["display_name"])
    out = StringIO()
    call_command("check_display_names", stdout=out)
    assert f"{mum.pk}\t'Amy\\u202e'" in out.getvalue()
    assert "1 member(s)" in out.getvalue()


def test_a_name_that_grows_in_its_plain_form_is_still_held_to_the_length(client, mum):
    client.force_login(mum)
    response = post_profile(client, "\ufdfa\ufdfa\ufdfa")  # 3 characters, 54 once plain
    assert response.status_code == 200
    assert "at most 40 characters" in response.content.decode()
    mum.refresh_from_db()
    assert mum.display_name == "Amy"
