"""Coordinators manage the rules and the service's settings; every change is audited.

These tests use plain `db`, so the default rules loaded by the data migration
are there (a transaction=True test would flush them).
"""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from audit.models import AuditEntry
from moderation import ruleset
from moderation.crisis import NOBODY_WATCHING, TEAM_TOLD
from moderation.models import Rule, SiteSettings

pytestmark = pytest.mark.django_db

RULES = reverse("moderation_rules")
NEW_RULE = reverse("moderation_rule_new")
SETTINGS = reverse("moderation_settings")


@pytest.fixture(autouse=True)
def fresh_rules():
    """The scanner is cached for a second; these tests change rules faster."""
    ruleset.forget()
    yield
    ruleset.forget()


@pytest.fixture
def staff_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def rule(coordinator):
    return Rule.objects.create(
        term="cry it out", category="hostility", level="AMBER", exceptions=["let them"]
    )


def rule_data(**overrides):
    data = {
        "term": "nobody cares*",
        "category": "self_harm",
        "level": "AMBER",
        "action": "default",
        "exceptions": "",
        "applies_to": "everyone",
        "enabled": "on",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def page(response) -> str:
    return response.content.decode()


# --- who may use the pages -------------------------------------------------------------


@pytest.mark.parametrize("persona", ["mum", "volunteer"])
def test_rules_and_settings_pages_refuse_members_and_volunteers(client, request, persona, rule):
    client.force_login(request.getfixturevalue(persona))
    for url in (RULES, NEW_RULE, reverse("moderation_rule", args=[rule.pk]), SETTINGS):
        assert client.get(url).status_code == 403, url
    assert client.post(NEW_RULE, rule_data()).status_code == 403
    switch = reverse("moderation_rule_switch", args=[rule.pk])
    assert client.post(switch, {"enabled": "off"}).status_code == 403
    assert client.post(RULES, {"text": "I want to end it all"}).status_code == 403
    rule.refresh_from_db()
    assert rule.enabled
    assert not AuditEntry.objects.filter(action__in=["rule_created", "rule_changed"]).exists()


def test_signed_out_visitor_is_sent_to_log_in(client):
    response = client.get(RULES)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_coordinator_finds_the_rules_page_in_the_menu(staff_client):
    assert f'href="{RULES}"' in page(staff_client.get(reverse("home")))


# --- the list ----------------------------------------------------------------------------


def test_list_shows_each_rule_with_its_details_and_a_link_to_edit_it(staff_client, rule):
    html = page(staff_client.get(RULES, {"term": "cry it out"}))
    edit_url = reverse("moderation_rule", args=[rule.pk])
    row = re.search(rf'<tr>\s*<td><a href="{edit_url}">cry it out</a>.*?</tr>', html, re.S)
    row = row.group(0)
    assert "hostility" in row and "AMBER" in row and "The level&#x27;s default" in row
    assert "<td>1</td>" in row  # one exception
    assert "All rooms" in row and "Members and volunteers" in row
    assert "Switch off" in row
    assert "Add a rule" in html


def test_list_can_be_filtered_by_category_level_and_on_or_off(staff_client, rule):
    Rule.objects.create(term="zzquiet", category="hostility", level="GREEN", enabled=False)
    html = page(staff_client.get(RULES, {"category": "hostility", "level": "AMBER"}))
    assert "cry it out" in html and "zzquiet" not in html
    html = page(staff_client.get(RULES, {"category": "hostility", "state": "off"}))
    assert "zzquiet" in html and "cry it out" not in html
    html = page(staff_client.get(RULES, {"state": "on", "category": "self_harm"}))
    assert "cry it out" not in html and "zzquiet" not in html


def test_list_can_be_searched_by_word_and_is_shown_fifty_at_a_time(staff_client, rule):
    html = page(staff_client.get(RULES, {"term": "CRY IT"}))
    assert "cry it out" in html and "1 matching rule" in html
    assert Rule.objects.count() > 50
    html = page(staff_client.get(RULES))
    assert html.count(">Switch off</button>") + html.count(">Switch on</button>") == 50
    assert "?page=2" in html


def test_default_rules_are_listed(staff_client):
    assert Rule.objects.filter(built_in=True, category="self_harm").exists()
    html = page(staff_client.get(RULES, {"category": "self_harm"}))
    assert "(built in)" in html


# --- adding, editing, switching off ---------------------------------------------------------


def test_adding_a_rule_saves_it_and_records_it_in_the_audit_log(
    staff_client, coordinator, group_room
):
    response = staff_client.post(
        NEW_RULE,
        rule_data(
            term="  nobody   cares* ",
            exceptions="nobody cares about the football\n\nnobody cares about the football\n",
            rooms=[group_room.pk],
            applies_to="members",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == RULES
    rule = Rule.objects.get(term="nobody cares*")
    assert (rule.category, rule.level, rule.action, rule.applies_to) == (
        "self_harm",
        "AMBER",
        "default",
        "members",
    )
    assert rule.exceptions == ["nobody cares about the football"]
    assert list(rule.rooms.all()) == [group_room]
    assert rule.enabled and not rule.built_in
    entry = AuditEntry.objects.get(action="rule_created")
    assert entry.actor == coordinator and entry.target_id == str(rule.pk)


def test_a_new_rule_works_on_the_next_message_tried(staff_client):
    staff_client.post(NEW_RULE, rule_data(term="zorblax*", category="hostility"))
    ruleset.forget()
    html = page(staff_client.post(RULES, {"text": "you zorblaxes"}))
    assert "<mark>zorblaxes</mark>" in html
    assert 'data-outcome="flag"' in html


def test_editing_a_rule_changes_it_and_records_what_changed(staff_client, coordinator, rule):
    response = staff_client.post(
        reverse("moderation_rule", args=[rule.pk]),
        rule_data(
            term="cry it out",
            category="hostility",
            level="RED",
            exceptions="let them\nsleep training",
        ),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.level == "RED"
    assert rule.exceptions == ["let them", "sleep training"]
    entry = AuditEntry.objects.get(action="rule_changed")
    assert entry.actor == coordinator and entry.target_id == str(rule.pk)
    assert sorted(entry.details["fields"]) == ["exceptions", "level"]


def test_edit_page_shows_the_saved_rule(staff_client, rule):
    html = page(staff_client.get(reverse("moderation_rule", args=[rule.pk])))
    assert 'value="cry it out"' in html
    assert "let them</textarea>" in html
    assert 'list="rule-categories"' in html and '<option value="baby_harm">' in html
    assert f'href="{RULES}"' in html  # back link
    assert "Delete" not in html


def test_switching_a_rule_off_keeps_it_and_records_the_change(staff_client, coordinator, rule):
    response = staff_client.post(
        reverse("moderation_rule_switch", args=[rule.pk]),
        {"enabled": "off", "query": "category=hostility&next=https://evil.example"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{RULES}?category=hostility"
    rule.refresh_from_db()
    assert rule.enabled is False
    entry = AuditEntry.objects.get(action="rule_changed")
    assert entry.actor == coordinator
    assert entry.details == {"fields": ["enabled"], "enabled": False}
    html = page(staff_client.get(RULES, {"category": "hostility"}))
    assert "Switch on" in html

    staff_client.post(reverse("moderation_rule_switch", args=[rule.pk]), {"enabled": "on"})
    rule.refresh_from_db()
    assert rule.enabled is True
    assert AuditEntry.objects.filter(action="rule_changed").count() == 2


def test_a_switched_off_rule_no_longer_matches(staff_client, rule):
    staff_client.post(reverse("moderation_rule_switch", args=[rule.pk]), {"enabled": "off"})
    ruleset.forget()
    html = page(staff_client.post(RULES, {"text": "just let her cry it out"}))
    assert "<mark>" not in html


@pytest.mark.parametrize(
    ("term", "error"),
    [
        ("*", "not just *"),
        ("  ** ", "not just *"),
        ("kil*l", "not in the middle"),
        ("end * all", "not in the middle"),
        ("x" * 121, "120 characters or fewer"),
        ("", "Type the word or phrase"),
        ("''\u200b", "letters or numbers"),
        ("* kill", "no space"),
    ],
)
def test_a_bad_term_is_refused_with_a_specific_error_and_changes_nothing(
    staff_client, rule, term, error
):
    rules_before = Rule.objects.count()
    response = staff_client.post(NEW_RULE, rule_data(term=term))
    assert response.status_code == 200
    assert error in page(response)
    response = staff_client.post(
        reverse("moderation_rule", args=[rule.pk]), rule_data(term=term, category="hostility")
    )
    assert response.status_code == 200
    assert error in page(response)
    assert Rule.objects.count() == rules_before
    rule.refresh_from_db()
    assert rule.term == "cry it out"
    assert not AuditEntry.objects.filter(action__in=["rule_created", "rule_changed"]).exists()


def test_an_over_long_exception_is_refused(staff_client):
    response = staff_client.post(NEW_RULE, rule_data(exceptions="fine\n" + "y" * 201))
    assert "200 characters or fewer" in page(response)
    assert not Rule.objects.filter(term="nobody cares*").exists()


def test_a_category_must_be_a_slug(staff_client):
    response = staff_client.post(NEW_RULE, rule_data(category="self harm!"))
    assert "lower-case letters, numbers and _" in page(response)
    assert not Rule.objects.filter(term="nobody cares*").exists()


# --- trying a message -------------------------------------------------------------------------


def test_trying_a_suicidal_message_shows_a_red_self_harm_match_highlighted(staff_client):
    html = page(staff_client.post(RULES, {"text": "honestly I want to end it all tonight"}))
    result = html.split('data-testid="try-result"')[1]
    assert 'data-outcome="hold"' in result
    assert 'data-level="RED"' in result
    assert re.search(r'<li data-category="self_harm" data-level="RED">', result)
    marked = re.findall(r"<mark>(.*?)</mark>", result)
    assert marked and all(part in "honestly I want to end it all tonight" for part in marked)
    assert any("end it all" in part for part in marked)
    assert "crisis card" in result


def test_an_everyday_phrase_matches_nothing(staff_client):
    html = page(staff_client.post(RULES, {"text": "I could murder a cup of tea"}))
    result = html.split('data-testid="try-result"')[1]
    assert 'data-outcome="publish"' in result
    assert "<mark>" not in result
    assert "No rule matched." in result


def test_contact_details_would_be_held(staff_client):
    html = page(staff_client.post(RULES, {"text": "ring me on 07911 123456"}))
    result = html.split('data-testid="try-result"')[1]
    assert 'data-outcome="hold"' in result
    assert 'data-category="contact"' in result


def test_tried_text_is_escaped_never_rendered_as_html(staff_client):
    text = '<script>alert("x")</script><b>I want to end it all</b>'
    html = page(staff_client.post(RULES, {"text": text}))
    assert "<script>alert" not in html and "<b>I want" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<mark>" in html


def test_an_empty_try_asks_for_a_message(staff_client):
    html = page(staff_client.post(RULES, {"text": "   "}))
    assert "Type a message to try." in html
    assert 'data-testid="try-result"' not in html


# --- settings ---------------------------------------------------------------------------------


@pytest.fixture
def office_hours(db):
    """Monday to Friday, 9:00 to 17:00 (what the data migration sets up)."""
    SiteSettings.objects.update(staffed_hours=[[day, "09:00", "17:00"] for day in range(5)])


def settings_data(**overrides):
    data = {
        "crisis_card_text": "",
        "contact_rule_enabled": "on",
        "model_enabled": "on",
        "off_hours_hide_after_reports": "3",
        "off_hours_mute_after_reports": "5",
        "off_hours_report_window_hours": "24",
    }
    for day in range(5):
        data.update({f"staffed_{day}": "on", f"from_{day}": "09:00", f"to_{day}": "17:00"})
    for day in range(5, 7):
        data.update({f"from_{day}": "09:00", f"to_{day}": "17:00"})
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def test_settings_page_shows_the_saved_hours_and_the_default_card(staff_client, office_hours):
    html = page(staff_client.get(SETTINGS))
    assert 'name="staffed_0" id="id_staffed_0" checked' in html
    assert 'name="staffed_6"' in html and 'name="staffed_6" id="id_staffed_6" checked' not in html
    assert "Samaritans on 116 123" in html  # the default text, as a hint and in the preview
    assert escape(NOBODY_WATCHING) in html and escape(TEAM_TOLD) in html


def test_settings_save_staffed_hours_and_the_crisis_card_and_are_audited(staff_client, coordinator):
    response = staff_client.post(
        SETTINGS,
        settings_data(
            staffed_5="on",
            from_5="10:00",
            to_5="12:30",
            staffed_4=None,
            crisis_card_text="  Call 999 if you are in danger now.\n\nSamaritans: 116 123 \n",
            off_hours_hide_after_reports="4",
        ),
    )
    assert response.status_code == 302
    row = SiteSettings.objects.get()
    assert row.staffed_hours == [
        [0, "09:00", "17:00"],
        [1, "09:00", "17:00"],
        [2, "09:00", "17:00"],
        [3, "09:00", "17:00"],
        [5, "10:00", "12:30"],
    ]
    assert row.crisis_card_text == "Call 999 if you are in danger now.\nSamaritans: 116 123"
    assert row.off_hours_hide_after_reports == 4
    entry = AuditEntry.objects.get(action="settings_changed")
    assert entry.actor == coordinator
    assert entry.details["fields"] == [
        "crisis_card_text",
        "off_hours_hide_after_reports",
        "staffed_hours",
    ]
    card = page(staff_client.get(reverse("crisis_card")))
    assert "Call 999 if you are in danger now." in card and "Samaritans on 116 123" not in card


@pytest.mark.parametrize(("start", "end"), [("17:00", "09:00"), ("09:00", "09:00")])
def test_settings_refuse_a_day_that_ends_before_it_starts(staff_client, office_hours, start, end):
    before = SiteSettings.objects.get().staffed_hours
    response = staff_client.post(
        SETTINGS, settings_data(staffed_2="on", from_2=start, to_2=end, crisis_card_text="Hi 999")
    )
    assert response.status_code == 200
    assert "On Wednesday the end time must be after the start." in page(response)
    row = SiteSettings.objects.get()
    assert row.staffed_hours == before and row.crisis_card_text == ""
    assert not AuditEntry.objects.filter(action="settings_changed").exists()


@pytest.mark.parametrize("field", ["off_hours_hide_after_reports", "off_hours_mute_after_reports"])
def test_settings_refuse_a_report_threshold_of_one_person(staff_client, office_hours, field):
    """One person's reports alone must never hide a message or mute a member."""
    response = staff_client.post(SETTINGS, settings_data(**{field: "1"}))
    assert response.status_code == 200
    assert "at least 2, so that one person" in page(response)
    row = SiteSettings.objects.get()
    assert (row.off_hours_hide_after_reports, row.off_hours_mute_after_reports) == (3, 5)
    assert not AuditEntry.objects.filter(action="settings_changed").exists()


def test_settings_save_the_report_window(staff_client, office_hours):
    response = staff_client.post(SETTINGS, settings_data(off_hours_report_window_hours="48"))
    assert response.status_code == 302
    assert SiteSettings.objects.get().off_hours_report_window_hours == 48
    assert 'name="off_hours_report_window_hours"' in page(staff_client.get(SETTINGS))


@pytest.mark.parametrize("value", ["0", "51", "many"])
def test_settings_keep_report_thresholds_between_2_and_50(staff_client, office_hours, value):
    response = staff_client.post(SETTINGS, settings_data(off_hours_mute_after_reports=value))
    assert response.status_code == 200
    assert SiteSettings.objects.get().off_hours_mute_after_reports == 5
    assert not AuditEntry.objects.filter(action="settings_changed").exists()


def test_switching_off_the_contact_rule_is_saved(staff_client, office_hours):
    staff_client.post(SETTINGS, settings_data(contact_rule_enabled=None))
    assert SiteSettings.objects.get().contact_rule_enabled is False
    assert AuditEntry.objects.get(action="settings_changed").details["fields"] == [
        "contact_rule_enabled"
    ]


def test_saving_unchanged_settings_writes_nothing(staff_client, office_hours):
    response = staff_client.post(SETTINGS, settings_data())
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action="settings_changed").exists()


def test_previewing_the_card_shows_it_in_and_out_of_hours_without_saving(
    staff_client, office_hours
):
    response = staff_client.post(
        SETTINGS, settings_data(crisis_card_text="<b>Call 999</b> now.", preview="1")
    )
    assert response.status_code == 200
    html = page(response)
    staffed = html.split('data-testid="preview-staffed"')[1].split("</section>")[0]
    unstaffed = html.split('data-testid="preview-unstaffed"')[1].split("</section>")[0]
    assert "&lt;b&gt;Call 999&lt;/b&gt; now." in staffed and escape(NOBODY_WATCHING) not in staffed
    assert "&lt;b&gt;Call 999&lt;/b&gt; now." in unstaffed and escape(NOBODY_WATCHING) in unstaffed
    assert SiteSettings.objects.get().crisis_card_text == ""
    assert not AuditEntry.objects.filter(action="settings_changed").exists()


def test_a_day_staffed_until_midnight_shows_as_00_00_and_is_kept(staff_client):
    SiteSettings.objects.update(staffed_hours=[[6, "20:00", "24:00"]])
    html = page(staff_client.get(SETTINGS))
    assert 'name="from_6" value="20:00"' in html and 'name="to_6" value="00:00"' in html
    data = settings_data(staffed_6="on", from_6="20:00", to_6="00:00")
    for day in range(5):
        data.pop(f"staffed_{day}")
    assert staff_client.post(SETTINGS, data).status_code == 302
    assert not AuditEntry.objects.filter(action="settings_changed").exists()

    data.update(staffed_0="on", from_0="00:00", to_0="00:00")
    assert staff_client.post(SETTINGS, data).status_code == 302
    assert SiteSettings.objects.get().staffed_hours == [
        [0, "00:00", "24:00"],
        [6, "20:00", "24:00"],
    ]
