"""Labels: coordinators' verdicts on screening ("Was this right?", "missed"),
kept in the service's own database, in her export, gone when she leaves."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from audit.models import AuditEntry
from moderation import services
from moderation.forms import CATEGORY_MISSING, VERDICT_MISSING
from moderation.models import Flag, Label, Level
from tests.moderation.messages import RED, send
from village import data_rights

pytestmark = pytest.mark.django_db

EVERYDAY = "the baby slept four hours straight last night"
# What screening lets through but a careful reader would not.
QUIET = "I've written letters for everyone and given the baby's things to my sister"


@pytest.fixture
def quiet_message(mum, open_room):
    sent = send(mum, open_room.pk, QUIET)
    assert sent.message["status"] == "published"
    assert not Flag.objects.filter(message_id=sent.message["id"]).exists()
    return sent.message["id"]


def resolve(client, flag, **data):
    return client.post(
        reverse("flag_sanction", args=[flag.pk, "resolve"]),
        {"outcome": "support_given", "note": "called her", "verdict_asked": "on", **data},
        follow=True,
    )


def told(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- "Was this right?" on resolving a flag ----------------------------------------


def test_the_queue_asks_was_this_right_on_a_flag_about_a_message(client, coordinator, red_flag):
    client.force_login(coordinator)
    page = client.get(reverse("moderation_queue")).content.decode()
    assert "Was this right?" in page and "Right concern, wrong category" in page
    assert 'name="verdict_asked"' in page


def test_resolving_stores_the_verdict_as_a_label_and_audits_it(client, coordinator, mum, red_flag):
    client.force_login(coordinator)
    resolve(client, red_flag, verdict="right")
    red_flag.refresh_from_db()
    label = Label.objects.get()
    assert red_flag.resolved_at is not None and label.flag == red_flag
    assert (label.verdict, label.category, label.subject, label.labelled_by) == (
        "right",
        "self_harm",
        mum,
        coordinator,
    )
    assert label.message_id == red_flag.message_id
    entry = AuditEntry.objects.get(action="flag_labelled")
    assert entry.actor == coordinator and entry.details["verdict"] == "right"
    assert RED not in str(entry.details)  # never her words in the log


def test_a_wrong_category_keeps_the_category_it_should_have_been(client, coordinator, red_flag):
    client.force_login(coordinator)
    resolve(client, red_flag, verdict="wrong_category", category="abuse_dv")
    label = Label.objects.get()
    assert (label.verdict, label.category, label.flagged_category) == (
        "wrong_category",
        "abuse_dv",
        "self_harm",
    )


def test_not_a_risk_is_kept_without_a_category(client, coordinator, red_flag):
    client.force_login(coordinator)
    resolve(client, red_flag, verdict="not_a_risk", category="psychosis")
    label = Label.objects.get()
    assert (label.verdict, label.category) == ("not_a_risk", "")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, VERDICT_MISSING),
        ({"verdict": "wrong_category"}, CATEGORY_MISSING),
        ({"verdict": "maybe"}, "Select a valid choice"),
        ({"verdict": "wrong_category", "category": "spam"}, "Select a valid choice"),
    ],
)
def test_resolving_without_a_clear_verdict_is_refused_and_saves_nothing(
    client, coordinator, red_flag, data, error
):
    client.force_login(coordinator)
    response = resolve(client, red_flag, **data)
    assert "That wasn't saved." in told(response) and error in told(response)
    red_flag.refresh_from_db()
    assert red_flag.resolved_at is None and not Label.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["flag_resolved", "flag_labelled"]).exists()


def test_a_flag_on_no_message_is_resolved_without_the_question(client, coordinator, mum):
    flag = Flag.objects.create(source="measure", level="AMBER", category="self_harm", subject=mum)
    client.force_login(coordinator)
    client.post(reverse("flag_sanction", args=[flag.pk, "resolve"]), {"outcome": "no_action"})
    flag.refresh_from_db()
    assert flag.resolved_at is not None and not Label.objects.exists()


def test_the_form_asks_by_the_flag_itself_when_given_it(red_flag):
    from moderation.forms import ResolveForm

    form = ResolveForm({"outcome": "no_action"}, flag=red_flag)  # no verdict_asked posted
    assert not form.is_valid() and VERDICT_MISSING in str(form.errors)


def test_the_service_refuses_an_unknown_verdict_and_saves_nothing(coordinator, red_flag):
    with pytest.raises(ValueError):
        services.resolve_flag(
            actor=coordinator, flag_id=red_flag.pk, outcome="no_action", verdict="perhaps"
        )
    red_flag.refresh_from_db()
    assert red_flag.resolved_at is None and not Label.objects.exists()


# --- "Missed" ---------------------------------------------------------------------


def missed_url(message_id: int) -> str:
    return reverse("moderation:mark_missed", args=[message_id])


def test_the_missed_page_lives_where_the_room_page_links_to_it():
    assert missed_url(42) == "/staff/moderation/messages/42/missed/"


def test_a_coordinator_marks_a_missed_risk_and_it_reaches_the_queue_as_red(
    client, coordinator, mum, quiet_message, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    page = client.get(missed_url(quiet_message))
    assert page.status_code == 200 and escape(QUIET) in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            missed_url(quiet_message), {"category": "self_harm", "note": "farewell and giving away"}
        )
    assert response.status_code == 302 and response.url == reverse("moderation_queue")
    label = Label.objects.get()
    flag = Flag.objects.get()
    assert (label.verdict, label.category, label.subject, label.flag) == (
        "missed",
        "self_harm",
        mum,
        flag,
    )
    assert (flag.source, flag.level, flag.category, flag.message_id, flag.raised_by) == (
        "missed",
        Level.RED,
        "self_harm",
        quiet_message,
        coordinator,
    )
    assert callbacks  # announced to the queue (and the RED alert) after commit
    assert AuditEntry.objects.filter(action="missed_risk_marked", actor=coordinator).exists()
    assert escape(QUIET) in client.get(reverse("moderation_queue")).content.decode()


def test_a_missed_contact_risk_is_amber(client, coordinator, quiet_message):
    client.force_login(coordinator)
    client.post(missed_url(quiet_message), {"category": "contact"})
    assert Flag.objects.get().level == Level.AMBER


def test_marking_the_same_message_twice_raises_one_flag(client, coordinator, quiet_message):
    client.force_login(coordinator)
    client.post(missed_url(quiet_message), {"category": "self_harm"})
    client.post(missed_url(quiet_message), {"category": "psychosis"})
    assert Flag.objects.count() == 1 and Label.objects.count() == 1


def test_a_missed_risk_needs_its_category(client, coordinator, quiet_message):
    client.force_login(coordinator)
    response = client.post(missed_url(quiet_message), {"note": "worried"})
    assert response.status_code == 200
    assert "Please choose the kind of risk it is." in response.content.decode()
    assert not Label.objects.exists() and not Flag.objects.exists()


@pytest.mark.parametrize("who", ["mum", "other_mum", "volunteer"])
def test_members_and_volunteers_may_not_mark_a_missed_risk(client, request, quiet_message, who):
    client.force_login(request.getfixturevalue(who))
    for response in (
        client.get(missed_url(quiet_message)),
        client.post(missed_url(quiet_message), {"category": "self_harm"}),
    ):
        assert response.status_code == 403
        assert escape(QUIET) not in response.content.decode()
    assert not Label.objects.exists() and not Flag.objects.exists()


def test_a_lead_volunteer_is_told_what_she_can_do_instead(client, volunteer, quiet_message):
    client.force_login(volunteer)
    page = client.get(missed_url(quiet_message)).content.decode()
    assert "raise a concern" in page


def test_a_held_message_is_on_the_queue_already_and_is_not_marked(client, coordinator, red_flag):
    client.force_login(coordinator)
    response = client.post(missed_url(red_flag.message_id), {"category": "self_harm"})
    assert response.status_code == 403 and "can't be marked" in response.content.decode()
    assert Flag.objects.count() == 1 and not Label.objects.exists()


def test_a_coordinators_own_message_is_not_hers_to_mark(client, coordinator, open_room):
    sent = send(coordinator, open_room.pk, "welcome everyone, lovely to see you")
    client.force_login(coordinator)
    response = client.post(missed_url(sent.message["id"]), {"category": "hostility"})
    assert response.status_code == 403 and not Flag.objects.exists()


def test_the_queue_offers_missed_beside_the_messages_around_a_flag(
    client, coordinator, volunteer, mum, other_mum, open_room, quiet_message
):
    send(other_mum, open_room.pk, RED)
    client.force_login(coordinator)
    page = client.get(reverse("moderation_queue")).content.decode()
    assert missed_url(quiet_message) in page
    client.force_login(volunteer)
    assert missed_url(quiet_message) not in client.get(reverse("moderation_queue")).content.decode()


def test_a_1_1_message_seen_to_mark_it_is_audited_for_a_coordinator_outside_the_chat(
    client, coordinator, pairing, mum
):
    sent = send(mum, pairing.room.pk, EVERYDAY)
    client.force_login(coordinator)
    assert client.get(missed_url(sent.message["id"])).status_code == 200
    entry = AuditEntry.objects.get(action="direct_message_seen")
    assert entry.actor == coordinator and entry.details["room"] == pairing.room.pk


# --- her data: the export and closing her account -----------------------------------


def test_her_export_has_the_labels_on_her_messages_but_not_who_labelled(
    client, coordinator, mum, red_flag, quiet_message
):
    client.force_login(coordinator)
    resolve(client, red_flag, verdict="wrong_category", category="abuse_dv")
    client.post(missed_url(quiet_message), {"category": "self_harm"})
    copy = data_rights.export_data(user=mum)
    labels = copy["labels_on_my_messages"]
    assert [(entry["verdict"], entry["category"]) for entry in labels] == [
        ("Right concern, wrong category", "abuse_dv"),
        ("A missed risk", "self_harm"),
    ]
    assert all(entry["labelled_at"] and entry["message_written_at"] for entry in labels)
    assert coordinator.display_name not in str(labels) and coordinator.email not in str(labels)


def test_closing_her_account_deletes_the_labels_on_her_messages(
    client, coordinator, mum, other_mum, red_flag, quiet_message, open_room
):
    client.force_login(coordinator)
    resolve(client, red_flag, verdict="right")
    client.post(missed_url(quiet_message), {"category": "self_harm"})
    theirs = send(other_mum, open_room.pk, EVERYDAY)
    client.post(missed_url(theirs.message["id"]), {"category": "abuse_dv"})
    assert Label.objects.filter(subject=mum).count() == 2
    data_rights.close_account(user=mum)
    assert not Label.objects.filter(subject=mum).exists()
    assert Label.objects.filter(subject=other_mum).count() == 1  # nobody else's
    assert data_rights.export_data(user=mum)["labels_on_my_messages"] == []
    # Her words do not train the model any more, whatever a flag keeps.
    from moderation.selectors import training_examples

    assert all(example.text not in (QUIET, RED) for example in training_examples())


def test_no_label_is_kept_on_the_words_of_someone_who_has_left(coordinator, mum, red_flag):
    data_rights.close_account(user=mum)  # the flag is open: its message is kept for it
    services.resolve_flag(
        actor=coordinator, flag_id=red_flag.pk, outcome="no_action", verdict="right"
    )
    assert not Label.objects.exists()
