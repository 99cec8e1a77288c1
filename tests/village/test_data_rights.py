"""A member's data rights: a copy of her data, and closing her account."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from accounts.models import SafeguardingDetails, User
from audit.models import AuditEntry
from chat import services as chat_services
from chat.models import Message
from tests.conftest import PASSWORD
from village.data_rights import FORMER_MEMBER

pytestmark = pytest.mark.django_db


def say(author, room_id, body):
    return chat_services.send_message(
        author=author, room_id=room_id, client_id=uuid.uuid4(), body=body
    )


def test_member_downloads_her_profile_consents_and_messages_as_a_file(client, mum, open_room):
    from accounts.services import give_health_consent

    give_health_consent(user=mum)
    say(mum, open_room.pk, "my first message")
    client.force_login(mum)
    response = client.get(reverse("export_my_data"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == mum.email and data["account"]["display_name"] == "Amy"
    assert data["profile"]["stage"] == "baby"
    assert data["safeguarding_details"]["real_name"] == "Amy Realname"
    assert [c["version"] for c in data["health_data_consents"]] == ["1"]
    assert [m["text"] for m in data["messages"]] == ["my first message"]
    assert AuditEntry.objects.filter(action="data_exported", target_id=str(mum.pk)).exists()


def test_closing_her_account_anonymises_it_in_place_and_removes_her_words(
    client, mum, other_mum, open_room, coordinator, volunteer
):
    from moderation import services as moderation_services

    # Audit entries about her (labels "Amy", "Amy with Val") from before she left,
    # and the 1:1 chat "Amy & Val".
    pairing = chat_services.pair(actor=coordinator, member=mum, volunteer=volunteer)
    moderation_services.warn_member(actor=coordinator, member=mum, note="please be gentle")
    say(mum, open_room.pk, "something personal")
    say(other_mum, open_room.pk, "a reply from Beth")
    client.force_login(mum)
    wrong = client.post(reverse("close_my_account"), {"password": "nope", "understood": "on"})
    assert wrong.status_code == 200 and User.objects.get(pk=mum.pk).is_active
    response = client.post(reverse("close_my_account"), {"password": PASSWORD, "understood": "on"})
    assert "Your account is closed" in response.content.decode()
    closed = User.objects.get(pk=mum.pk)  # the row is still there
    assert closed.display_name == FORMER_MEMBER and "amy" not in closed.email.lower()
    assert not closed.is_active and closed.anonymised_at is not None
    assert not closed.has_usable_password()
    message = Message.objects.get(author=closed)
    assert message.body == "" and message.status == "deleted"
    assert SafeguardingDetails.objects.get(member=closed).real_name == ""
    assert AuditEntry.objects.filter(action="account_closed", target_id=str(mum.pk)).exists()
    # Every page shows her as a former member, never her name or words.
    client.force_login(other_mum)
    page = client.get(reverse("room", args=[open_room.pk])).content.decode()
    assert "Amy" not in page and "something personal" not in page
    joined = chat_services.join_room(user=other_mum, room_id=open_room.pk, after_seq=None)
    first = joined.messages[0]
    assert first["author"]["display_name"] == FORMER_MEMBER and first["body"] is None
    # Her volunteer's room list and their 1:1 chat (kept, read-only for Val until
    # a coordinator ends it) call her a former member too.
    client.force_login(volunteer)
    for url in (reverse("home"), reverse("room", args=[pairing.room_id])):
        page = client.get(url).content.decode()
        assert "Amy" not in page and f"{FORMER_MEMBER} &amp; Val" in page
    # The audit log too: what happened stays, under "Former member", and searching
    # for her old name finds nothing.
    client.force_login(coordinator)
    audit = client.get(reverse("audit_log")).content.decode()
    assert "Amy" not in audit
    assert f"{FORMER_MEMBER} with Val" in audit and "Member warned" in audit
    by_old_name = client.get(reverse("audit_log"), {"target": "Amy"}).content.decode()
    assert "Amy" not in by_old_name.replace('value="Amy"', "") and "No entries match" in by_old_name
    assert (
        "Member warned"
        in client.get(reverse("audit_log"), {"target": FORMER_MEMBER}).content.decode()
    )
    client.logout()
    client.post(reverse("account_login"), {"login": "amy@example.net", "password": PASSWORD})
    assert "_auth_user_id" not in client.session  # no longer a way in


def test_an_open_safeguarding_flag_holds_what_it_needs(client, mum, open_room):
    say(mum, open_room.pk, "just chatting")
    say(mum, open_room.pk, "I want to end it all")  # RED: held, flagged
    client.force_login(mum)
    client.post(reverse("close_my_account"), {"password": PASSWORD, "understood": "on"})
    bodies = dict(Message.objects.filter(author=mum).values_list("body", "status"))
    assert bodies == {"": "deleted", "I want to end it all": "held"}
    assert SafeguardingDetails.objects.get(member=mum).real_name == "Amy Realname"


def test_her_referral_questionnaires_and_feedback_are_in_her_copy_and_leave_with_her(client, mum):
    from intake.models import Referral
    from outcomes.models import Feedback, Questionnaire
    from tests.intake.referrals import make_referral
    from village import data_rights

    referral = make_referral(mum_name="Amy Referred", reason="Low since the birth")
    Referral.objects.filter(pk=referral.pk).update(member=mum, status="joined")
    questionnaire = Questionnaire.objects.create(
        member=mum, measure="phq9", version="1", occasion="baseline"
    )
    from outcomes import services as outcome_services

    outcome_services.complete_questionnaire(
        member=mum,
        questionnaire_id=questionnaire.pk,
        positions={**{n: 1 for n in range(1, 9)}, 9: 0},  # no risk item: no open concern
    )
    Feedback.objects.create(
        member=mum, completed_at=questionnaire.due_at, comment="Val in Leeds was lovely"
    )
    copy = data_rights.export_data(user=mum)
    # That a referral brought her, never what the referrer wrote about her.
    assert copy["referral"]["received_at"] == referral.created_at.isoformat()
    assert "Amy Referred" not in str(copy) and "Low since the birth" not in str(copy)
    assert [(q["measure"], q["total"]) for q in copy["questionnaires"]] == [("phq9", 8)]
    assert copy["feedback"][0]["comment"] == "Val in Leeds was lovely"

    data_rights.close_account(user=mum)
    referral.refresh_from_db()
    assert (referral.mum_name, referral.mum_email, referral.reason) == (FORMER_MEMBER, "", "")
    assert Feedback.objects.get(member=mum).comment == ""
    # Her scores stay, no longer tied to anyone, for the service's figures.
    assert Questionnaire.objects.get(member=mum).total == 8
