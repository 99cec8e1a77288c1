"""Outcome measures as a member meets them: asked at the start, every few weeks
and at the end (a controllable clock), never during a live session, put off
with "Not now"; answers stored item by item; a risk item raises an AMBER flag
and shows the crisis card; licensed measures wait for their wording."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chat import services as chat_services
from moderation.models import Flag, Level
from outcomes import services
from outcomes.measures import PHQ9
from outcomes.models import Answer, Feedback, MeasureWording, Occasion, Questionnaire
from outcomes.selectors import due_prompts
from village import periodic

pytestmark = pytest.mark.django_db
NOW = timezone.make_aware(datetime.combine(date.today(), time(10)))


def plan(at: datetime) -> int:
    return periodic.run_once(clock=lambda: at)["outcomes_asked"]


def asked(member, **filters) -> list[tuple[str, str]]:
    return sorted(
        Questionnaire.objects.filter(member=member, **filters).values_list("measure", "occasion")
    )


def answer_all(member, questionnaire, position=0, *, at=None, **special) -> None:
    positions = {item: position for item in range(1, PHQ9.item_count + 1)}
    if questionnaire.measure == "gad7":
        positions = {item: position for item in range(1, 8)}
    positions.update({int(k.removeprefix("item")): v for k, v in special.items()})
    services.complete_questionnaire(
        member=member, questionnaire_id=questionnaire.pk, positions=positions
    )
    if at is not None:
        Questionnaire.objects.filter(pk=questionnaire.pk).update(completed_at=at)


@pytest.fixture
def enrolled(coordinator, mum):
    room = chat_services.create_room(actor=coordinator, name="Monday group")
    chat_services.enrol_member(actor=coordinator, room_id=room.pk, member=mum)
    return room


# --- when she is asked ---------------------------------------------------------------------


def test_a_member_who_starts_is_asked_the_baseline_once(mum, other_mum, enrolled):
    assert plan(NOW) == 2
    assert asked(mum) == [("gad7", "baseline"), ("phq9", "baseline")]
    assert asked(other_mum) == []  # not in a room or a pairing yet
    assert plan(NOW + timedelta(hours=1)) == 0


def test_follow_ups_come_every_six_weeks_after_the_last_answers(mum, enrolled):
    plan(NOW)
    for questionnaire in Questionnaire.objects.filter(member=mum):
        answer_all(mum, questionnaire, 2, at=NOW)
    assert plan(NOW + timedelta(weeks=6) - timedelta(minutes=1)) == 0
    assert plan(NOW + timedelta(weeks=6)) == 2
    assert asked(mum, occasion=Occasion.FOLLOW_UP) == [("gad7", "follow_up"), ("phq9", "follow_up")]
    # One open questionnaire per measure: nothing more until she answers.
    assert plan(NOW + timedelta(weeks=13)) == 0


def test_the_follow_up_interval_is_the_services_choice(coordinator, mum, enrolled):
    services.save_outcome_settings(actor=coordinator, measures=["phq9"], follow_up_weeks=2)
    plan(NOW)
    answer_all(mum, Questionnaire.objects.get(member=mum), at=NOW)
    assert plan(NOW + timedelta(weeks=2)) == 1


def test_at_a_pairings_planned_ending_she_is_asked_again_with_the_feedback(
    coordinator, mum, volunteer
):
    pairing = chat_services.pair(
        actor=coordinator,
        member=mum,
        volunteer=volunteer,
        planned_end=date.today() + timedelta(days=20),
    )
    plan(NOW)
    for questionnaire in Questionnaire.objects.filter(member=mum):
        answer_all(mum, questionnaire, 3, at=NOW)
    assert plan(NOW + timedelta(days=19)) == 0
    end = NOW + timedelta(days=20)
    assert plan(end) == 3  # two measures and the feedback survey
    assert asked(mum, occasion=Occasion.END, pairing=pairing) == [("gad7", "end"), ("phq9", "end")]
    assert Feedback.objects.get(member=mum).pairing == pairing
    assert plan(end + timedelta(days=1)) == 0  # once per ending


def test_an_unanswered_follow_up_becomes_the_end_questionnaire(coordinator, mum, volunteer):
    services.save_outcome_settings(actor=coordinator, measures=["phq9"], follow_up_weeks=1)
    pairing = chat_services.pair(
        actor=coordinator,
        member=mum,
        volunteer=volunteer,
        planned_end=date.today() + timedelta(days=10),
    )
    plan(NOW)
    answer_all(mum, Questionnaire.objects.get(member=mum), at=NOW)
    plan(NOW + timedelta(weeks=1))
    plan(NOW + timedelta(days=10))
    assert asked(mum) == [("phq9", "baseline"), ("phq9", "end")]
    assert Questionnaire.objects.get(member=mum, occasion="end").pairing == pairing


def test_leaving_a_group_room_asks_the_end_questionnaire_and_feedback(coordinator, mum, enrolled):
    plan(NOW)
    for questionnaire in Questionnaire.objects.filter(member=mum):
        answer_all(mum, questionnaire, at=NOW)
    chat_services.remove_from_room(
        actor=coordinator, room_id=enrolled.pk, person=mum, reason="moved"
    )
    assert plan(timezone.now() + timedelta(minutes=1)) == 3
    assert Feedback.objects.get(member=mum).room == enrolled


def test_the_prompt_waits_while_a_session_of_hers_is_live(
    client, mum, volunteer, enrolled, coordinator
):
    chat_services.assign_lead(actor=coordinator, room_id=enrolled.pk, volunteer=volunteer)
    plan(timezone.now() - timedelta(minutes=1))
    client.force_login(mum)
    assert 'data-testid="outcome-prompt"' in client.get(reverse("home")).content.decode()
    chat_services.open_session(actor=volunteer, room_id=enrolled.pk)
    assert not due_prompts(member=mum)
    assert 'data-testid="outcome-prompt"' not in client.get(reverse("home")).content.decode()
    page = client.get(reverse("room", args=[enrolled.pk])).content.decode()
    assert 'data-testid="outcome-prompt"' not in page  # never on a chat page
    chat_services.close_session(actor=volunteer, room_id=enrolled.pk)
    assert 'data-testid="outcome-prompt"' in client.get(reverse("home")).content.decode()


def test_not_now_puts_it_off_for_three_days(client, mum, enrolled):
    plan(timezone.now() - timedelta(minutes=1))
    questionnaire = Questionnaire.objects.filter(member=mum).first()
    client.force_login(mum)
    response = client.post(reverse("questionnaire", args=[questionnaire.pk]), {"not_now": "1"})
    assert response.status_code == 302
    prompts = due_prompts(member=mum)
    assert questionnaire not in prompts.questionnaires
    later = timezone.now() + timedelta(days=3, minutes=1)
    assert questionnaire in due_prompts(member=mum, now=later).questionnaires


# --- answering -----------------------------------------------------------------------------


def phq9_post(**answers) -> dict:
    data = {f"item_{n}": "1" for n in range(1, 10)}
    data.update({k: str(v) for k, v in answers.items()})
    return data


def test_answers_are_stored_item_by_item_with_the_measures_version(client, mum, enrolled):
    plan(timezone.now() - timedelta(minutes=1))
    questionnaire = Questionnaire.objects.get(member=mum, measure="phq9")
    client.force_login(mum)
    page = client.get(reverse("questionnaire", args=[questionnaire.pk])).content.decode()
    assert "Little interest or pleasure in doing things" in page
    response = client.post(
        reverse("questionnaire", args=[questionnaire.pk]), phq9_post(item_2=3, item_9=0)
    )
    assert response.status_code == 302
    questionnaire.refresh_from_db()
    assert (questionnaire.total, questionnaire.band, questionnaire.version) == (10, "moderate", "1")
    assert list(
        Answer.objects.filter(questionnaire=questionnaire).values_list("item", "score")
    ) == [(1, 1), (2, 3), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (8, 1), (9, 0)]
    assert not Flag.objects.exists()


def test_a_missing_answer_is_asked_for_and_nothing_is_stored(client, mum, enrolled):
    plan(timezone.now() - timedelta(minutes=1))
    questionnaire = Questionnaire.objects.get(member=mum, measure="phq9")
    client.force_login(mum)
    data = phq9_post()
    del data["item_4"]
    response = client.post(reverse("questionnaire", args=[questionnaire.pk]), data)
    assert "Please choose an answer." in response.content.decode()
    assert not Answer.objects.exists()
    questionnaire.refresh_from_db()
    assert questionnaire.completed_at is None


def test_a_risk_item_above_0_raises_an_amber_flag_and_shows_the_crisis_card(
    client, mum, enrolled, coordinator
):
    plan(timezone.now() - timedelta(minutes=1))
    questionnaire = Questionnaire.objects.get(member=mum, measure="phq9")
    client.force_login(mum)
    response = client.post(reverse("questionnaire", args=[questionnaire.pk]), phq9_post(item_9=1))
    page = response.content.decode()
    assert 'data-testid="crisis-card"' in page and "116 123" in page
    assert "let the team know" in page
    flag = Flag.objects.get()
    assert (flag.level, flag.source, flag.category, flag.subject) == (
        Level.AMBER,
        Flag.Source.MEASURE,
        "self_harm",
        mum,
    )
    questionnaire.refresh_from_db()
    assert questionnaire.risk_flag == flag
    client.force_login(coordinator)
    assert "Questionnaire risk item" in client.get(reverse("moderation_queue")).content.decode()


def test_a_questionnaire_cannot_be_answered_twice_or_by_someone_else(
    client, mum, other_mum, enrolled
):
    plan(timezone.now() - timedelta(minutes=1))
    questionnaire = Questionnaire.objects.get(member=mum, measure="phq9")
    client.force_login(other_mum)
    assert client.get(reverse("questionnaire", args=[questionnaire.pk])).status_code == 404
    client.force_login(mum)
    client.post(reverse("questionnaire", args=[questionnaire.pk]), phq9_post())
    assert client.get(reverse("questionnaire", args=[questionnaire.pk])).status_code == 404
    assert Answer.objects.count() == 9


def test_feedback_is_stored_and_a_comment_is_shareable_only_if_she_says_so(client, mum):
    feedback = Feedback.objects.create(member=mum)
    client.force_login(mum)
    response = client.post(
        reverse("feedback", args=[feedback.pk]),
        {
            "less_isolated": "agree",
            "know_where_help": "neither",
            "someone_understood": "agree",
            "recommend": "9",
            "comment": "Val was lovely",
            "comment_shareable": "on",
        },
    )
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert (feedback.less_isolated, feedback.use_other_services, feedback.recommend) == (
        "agree",
        "",
        9,
    )
    assert feedback.comment_shareable and feedback.completed_at is not None
    response = client.post(reverse("feedback", args=[feedback.pk]), {"recommend": "12"})
    assert response.status_code == 404  # already answered


def test_her_progress_page_describes_her_scores_kindly(client, mum, enrolled):
    plan(NOW)
    answer_all(mum, Questionnaire.objects.get(member=mum, measure="phq9"), 2, at=NOW)
    plan(NOW + timedelta(weeks=6))
    answer_all(
        mum,
        Questionnaire.objects.get(member=mum, measure="phq9", occasion="follow_up"),
        1,
        at=NOW + timedelta(weeks=6, days=1),
    )
    client.force_login(mum)
    page = client.get(reverse("my_scores")).content.decode()
    assert "went down from 18 to 9" in page
    assert "lower means you&#x27;ve been feeling better" in page


# --- licensed measures -------------------------------------------------------------------------


def wording_post(options=4, items=10) -> dict:
    data = {"licence": "Licence 123", "stem": "In the past 7 days:"}
    for n in range(1, items + 1):
        data[f"item_{n}_text"] = f"Licensed item {n}"
        data[f"item_{n}_options"] = "\n".join(f"Answer {p}" for p in range(options))
    return data


def test_a_licensed_measure_cannot_be_sent_before_its_wording_is_entered(
    client, coordinator, mum, enrolled
):
    with pytest.raises(services.OutcomeError, match="EPDS is licensed"):
        services.save_outcome_settings(actor=coordinator, measures=["epds"], follow_up_weeks=6)
    # Even a questionnaire made by hand is neither shown nor answerable.
    forced = Questionnaire.objects.create(
        member=mum, measure="epds", version="1", occasion="baseline"
    )
    assert forced not in due_prompts(member=mum).questionnaires
    client.force_login(mum)
    assert client.get(reverse("questionnaire", args=[forced.pk])).status_code == 404

    client.force_login(coordinator)
    bad = client.post(reverse("staff_measure_wording", args=["epds"]), wording_post(options=3))
    assert "exactly 4 answers" in bad.content.decode()
    assert not MeasureWording.objects.exists()
    client.post(reverse("staff_measure_wording", args=["epds"]), wording_post())
    assert MeasureWording.objects.get().items[0] == {
        "text": "Licensed item 1",
        "options": ["Answer 0", "Answer 1", "Answer 2", "Answer 3"],
    }
    response = client.post(
        reverse("staff_outcome_settings"), {"measures": ["phq9", "epds"], "follow_up_weeks": "6"}
    )
    assert response.status_code == 302
    assert forced in due_prompts(member=mum).questionnaires
    client.force_login(mum)
    assert (
        "Licensed item 10"
        in client.get(reverse("questionnaire", args=[forced.pk])).content.decode()
    )


def test_epds_item_10_is_reverse_scored_and_a_risk_item(coordinator, mum):
    services.enter_wording(
        actor=coordinator,
        slug="epds",
        stem="",
        licence="ours",
        items=[{"text": f"item {n}", "options": ["a", "b", "c", "d"]} for n in range(1, 11)],
    )
    questionnaire = Questionnaire.objects.create(
        member=mum, measure="epds", version="1", occasion="baseline"
    )
    # Items 1, 2 and 4 score their position; the others print from 3 down.
    positions = {n: 3 for n in range(1, 11)}
    done = services.complete_questionnaire(
        member=mum, questionnaire_id=questionnaire.pk, positions=positions
    )
    assert done.scored.total == 9 and not done.needs_crisis_card
    second = Questionnaire.objects.create(member=mum, measure="epds", version="1", occasion="end")
    positions[10] = 2  # scores 1: a risk
    done = services.complete_questionnaire(
        member=mum, questionnaire_id=second.pk, positions=positions
    )
    assert done.needs_crisis_card and Flag.objects.get().level == Level.AMBER


def test_outcome_pages_are_for_the_right_people(client, mum, volunteer):
    client.force_login(mum)
    assert client.get(reverse("staff_outcome_settings")).status_code == 403
    client.force_login(volunteer)
    assert client.get(reverse("my_scores")).status_code == 403
    assert client.get(reverse("staff_measure_wording", args=["epds"])).status_code == 403


def test_before_closing_her_account_she_may_answer_the_end_questions_and_feedback(
    client, mum, enrolled
):
    plan(NOW)
    for questionnaire in Questionnaire.objects.filter(member=mum):
        answer_all(mum, questionnaire, 2, at=NOW)
    client.force_login(mum)
    close = reverse("close_my_account")
    assert reverse("before_leaving") in client.get(close).content.decode()
    response = client.post(reverse("before_leaving"))
    ends = Questionnaire.objects.filter(member=mum, occasion=Occasion.END)
    assert sorted(ends.values_list("measure", flat=True)) == ["gad7", "phq9"]
    first = ends.get(pk=int(response["Location"].split("/")[2]))
    assert response["Location"].endswith(f"?next={close}")
    data = {f"item_{n}": "0" for n in range(1, 10)}
    answered = client.post(response["Location"], data)
    assert answered["Location"] == close  # back to closing, not to the home page
    first.refresh_from_db()
    assert first.completed_at is not None
    # Asking again does not ask twice.
    client.post(reverse("before_leaving"))
    assert Questionnaire.objects.filter(member=mum, occasion=Occasion.END).count() == 2
    assert Feedback.objects.filter(member=mum).count() == 1


def test_next_never_leads_off_the_site(client, mum, enrolled):
    plan(timezone.now() - timedelta(minutes=1))
    questionnaire = Questionnaire.objects.filter(member=mum).first()
    client.force_login(mum)
    response = client.post(
        reverse("questionnaire", args=[questionnaire.pk]) + "?next=https://evil.example/",
        {"not_now": "1"},
    )
    assert response["Location"] == reverse("home")
