"""The coordinators' reports: figures from chosen records, small numbers hidden.

Rows are made directly with the ORM, with values chosen so that each expected
figure is known; the statistics are worked out here independently of
outcomes.reports (the textbook paired t formula with the statistics module).
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
from datetime import UTC, date, datetime, timedelta
from html import unescape
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone
from scipy import stats

from accounts.models import Role
from chat.models import Attendance, Pairing, Room, Session
from intake.models import Referral
from moderation.models import Flag, Level
from outcomes import reports
from outcomes.models import Feedback, Occasion, OutcomeSettings, Questionnaire
from outcomes.reports import FEWER, Period, Scope
from tests.conftest import make_member, make_person

pytestmark = pytest.mark.django_db

START, END = date(2025, 1, 1), date(2025, 12, 31)
QUERY = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
YEAR = Scope(period=Period(start=START, end=END))
URL_NAMES = (
    "staff_reports",
    "staff_reports_csv",
    "staff_reports_change_chart",
    "staff_reports_reach_chart",
)

# Twelve mums' PHQ-9 totals: at the start, and at their latest follow-up.
PHQ9_START = [18, 15, 20, 12, 14, 16, 19, 11, 13, 17, 15, 21]
PHQ9_LATEST = [10, 9, 15, 11, 6, 12, 8, 10, 12, 9, 14, 13]


def at(month: int, day: int = 15, year: int = 2025) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


def make_mums(count: int, *, prefix: str = "zelda") -> list:
    return [make_member(f"{prefix}{i}@example.net", f"{prefix.title()}{i}") for i in range(count)]


def answered(member, measure: str, occasion: str, when: datetime, total=None, **subscales):
    return Questionnaire.objects.create(
        member=member,
        measure=measure,
        version="1",
        occasion=occasion,
        due_at=when,
        completed_at=when,
        total=total,
        subscale_scores=subscales,
    )


def start_and_latest(members, starts, latests, *, measure: str = "phq9") -> None:
    """A start in February, a first follow-up in April and the latest (an end) in June."""
    for member, start, latest in zip(members, starts, latests, strict=True):
        answered(member, measure, Occasion.BASELINE, at(2), start)
        answered(member, measure, Occasion.FOLLOW_UP, at(4), start - 1)
        answered(member, measure, Occasion.END, at(6), latest)


def group_room(name: str = "Thursday group") -> Room:
    return Room.objects.create(name=name, kind=Room.Kind.GROUP)


def session_of(room: Room, when: datetime, opener) -> Session:
    return Session.objects.create(
        room=room,
        opened_by=opener,
        opened_at=when,
        closes_at=when + timedelta(hours=1),
        closed_at=when + timedelta(hours=1),
    )


def pair(member, volunteer, coordinator, *, created: datetime, ended: datetime | None = None):
    room = Room.objects.create(name=f"1:1 {member.pk}", kind=Room.Kind.DIRECT)
    return Pairing.objects.create(
        member=member,
        volunteer=volunteer,
        room=room,
        created_by=coordinator,
        created_at=created,
        ended_at=ended,
    )


def referral(role: str, status: str, when: datetime, n: int) -> Referral:
    return Referral.objects.create(
        referrer_role=role,
        mum_name=f"Referred Mum{n}",
        mum_email=f"referred{n}@example.net",
        stage="baby",
        support_wanted="group",
        reason="Feeling low",
        consent_given_by="mum",
        status=status,
        created_at=when,
    )


def row_text(html: str, measure: str, score: str = "total") -> str:
    match = re.search(rf'<tr data-measure="{measure}" data-score="{score}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {measure} {score}"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def report_page(client, **query) -> str:
    response = client.get(reverse("staff_reports"), {**QUERY, **query})
    assert response.status_code == 200
    return response.content.decode()


def csv_rows(client, **query) -> list[list[str]]:
    response = client.get(reverse("staff_reports_csv"), {**QUERY, **query})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode())))


def csv_value(rows, section: str, row: str, figure: str) -> str:
    found = [r[3] for r in rows if r[0] == section and r[1] == row and r[2] == figure]
    assert len(found) == 1, (section, row, figure)
    return found[0]


@pytest.fixture
def staff_client(client, coordinator):
    client.force_login(coordinator)
    return client


# --- Change in scores ---------------------------------------------------------------


def test_phq9_means_paired_test_and_improvement_share_match_independent_working(staff_client):
    mums = make_mums(12)
    start_and_latest(mums, PHQ9_START, PHQ9_LATEST)
    # Not in the cohort: a start and no follow-up; a follow-up after the period.
    lone, late = make_mums(2, prefix="other")
    answered(lone, "phq9", Occasion.BASELINE, at(3), 25)
    answered(late, "phq9", Occasion.BASELINE, at(3), 25)
    answered(late, "phq9", Occasion.END, at(2, year=2026), 0)

    changes = [f - s for s, f in zip(PHQ9_START, PHQ9_LATEST, strict=True)]
    n = len(changes)
    t = statistics.mean(changes) / (statistics.stdev(changes) / math.sqrt(n))
    p = 2 * stats.t.sf(abs(t), n - 1)
    improved = 100 * sum(1 for d in changes if d <= -6) / n  # PHQ-9: down by 6 or more

    (row,) = [r for r in reports.score_changes(scope=YEAR) if r.measure == "phq9"]
    assert row.people.value == 12
    assert row.start_mean.value == pytest.approx(statistics.mean(PHQ9_START))
    assert row.latest_mean.value == pytest.approx(statistics.mean(PHQ9_LATEST))
    assert row.t.value == pytest.approx(t)
    assert row.p.value == pytest.approx(p)
    assert row.improved.value == pytest.approx(improved)

    html = report_page(staff_client)
    text = row_text(html, "phq9")
    assert f"{statistics.mean(PHQ9_START):.2f}" in text
    assert f"{statistics.mean(PHQ9_LATEST):.2f}" in text
    assert f"{t:.2f}" in text
    assert ("< 0.001" if p < 0.001 else f"{p:.3f}") in text
    assert f"{improved:.1f}%" in text
    assert "yes (p < 0.05)" in text


def test_wemwbs_improvement_counts_rises_because_higher_is_better(staff_client):
    mums = make_mums(6)
    # Changes +5, +3, +2, 0, -1, +4: three rose by 3 or more.
    start_and_latest(mums, [40, 40, 40, 40, 40, 40], [45, 43, 42, 40, 39, 44], measure="wemwbs")

    (row,) = [r for r in reports.score_changes(scope=YEAR) if r.measure == "wemwbs"]
    assert row.improved.text == f"{100 * 3 / 6:.1f}%"
    assert row.mean_change.text == "+2.17"


def test_hads_shows_its_anxiety_and_depression_subscales_as_two_rows(staff_client):
    mums = make_mums(5)
    anxiety = [(12, 9), (14, 10), (11, 11), (15, 8), (13, 9)]
    depression = [(10, 8), (9, 9), (12, 7), (8, 8), (11, 6)]
    for mum, (a0, a1), (d0, d1) in zip(mums, anxiety, depression, strict=True):
        answered(mum, "hads", Occasion.BASELINE, at(2), a0 + d0, anxiety=a0, depression=d0)
        answered(mum, "hads", Occasion.FOLLOW_UP, at(5), a1 + d1, anxiety=a1, depression=d1)

    rows = [r for r in reports.score_changes(scope=YEAR) if r.measure == "hads"]
    assert [r.label for r in rows] == ["HADS anxiety", "HADS depression"]
    html = report_page(staff_client)
    anxiety_row = row_text(html, "hads", "anxiety")
    assert "HADS anxiety" in anxiety_row
    assert f"{statistics.mean(a for a, _ in anxiety):.2f}" in anxiety_row
    assert f"{statistics.mean(b for _, b in anxiety):.2f}" in anxiety_row
    depression_row = row_text(html, "hads", "depression")
    assert f"{statistics.mean(a for a, _ in depression):.2f}" in depression_row
    assert f"{statistics.mean(b for _, b in depression):.2f}" in depression_row


def test_chosen_measures_are_listed_even_before_anyone_has_answered_them(staff_client):
    OutcomeSettings.objects.create(measures=["gad7", "epds"])

    html = report_page(staff_client)
    assert FEWER in row_text(html, "gad7")
    assert FEWER in row_text(html, "epds")


@pytest.mark.parametrize("count", [4, 5])
def test_scores_from_fewer_than_5_mums_are_hidden_on_the_page_and_in_the_csv(staff_client, count):
    mums = make_mums(count)
    start_and_latest(mums, PHQ9_START[:count], PHQ9_LATEST[:count])
    start_mean = f"{statistics.mean(PHQ9_START[:count]):.2f}"

    text = row_text(report_page(staff_client), "phq9")
    rows = csv_rows(staff_client)
    section = "Change in scores (lower is better)"
    if count == 4:
        assert FEWER in text and start_mean not in text
        assert csv_value(rows, section, "PHQ-9", "Mean at start") == FEWER
        assert csv_value(rows, section, "PHQ-9", "Mums (n)") == FEWER
        assert csv_value(rows, section, "PHQ-9", "p") == FEWER
    else:
        assert FEWER not in text and start_mean in text
        assert csv_value(rows, section, "PHQ-9", "Mean at start") == start_mean
        assert csv_value(rows, section, "PHQ-9", "Mums (n)") == "5"


# --- People reached, sessions, referrals -----------------------------------------------


@pytest.mark.parametrize("count", [4, 5])
def test_people_reached_from_fewer_than_5_is_hidden(staff_client, count, volunteer):
    room = group_room()
    session = session_of(room, at(3), volunteer)
    for mum in make_mums(count):
        Attendance.objects.create(session=session, user=mum)
    Attendance.objects.create(session=session, user=volunteer)  # the lead is not counted

    reached = reports.reach(scope=YEAR)
    rows = csv_rows(staff_client)
    if count == 4:
        assert reached.total.text == FEWER and reached.group_only.text == FEWER
        assert csv_value(rows, "People reached", "Total", "Members") == FEWER
        assert csv_value(rows, "People reached by month", "Mar 2025", "Members") == FEWER
    else:
        assert reached.total.text == "5" and reached.group_only.text == "5"
        assert csv_value(rows, "People reached", "Total", "Members") == "5"
        assert csv_value(rows, "People reached by month", "Mar 2025", "Members") == "5"


def test_reach_splits_group_one_to_one_and_both_and_counts_each_month(coordinator, volunteer):
    room = group_room()
    march, may = session_of(room, at(3), volunteer), session_of(room, at(5), volunteer)
    outside = session_of(room, at(12, year=2024), volunteer)
    mums = make_mums(20)
    for mum in mums[:10]:  # 10 came to the group in March; 5 of them also in May
        Attendance.objects.create(session=march, user=mum)
    for mum in mums[:5]:
        Attendance.objects.create(session=may, user=mum)
    Attendance.objects.create(session=outside, user=mums[19])
    for mum in mums[5:15]:  # 10 had a 1:1 from April to June: 5 of them came to the group
        pair(mum, volunteer, coordinator, created=at(4, 1), ended=at(6, 30))
    pair(mums[18], volunteer, coordinator, created=at(1, 1, 2024), ended=at(6, 1, 2024))

    reached = reports.reach(scope=YEAR)
    assert (reached.total.text, reached.group_only.text) == ("15", "5")
    assert (reached.one_to_one_only.text, reached.both.text) == ("5", "5")
    by_month = {m.month.label: m.people.text for m in reached.months}
    assert len(by_month) == 12
    assert by_month["Jan 2025"] == "0"
    assert by_month["Mar 2025"] == "10"
    assert by_month["Apr 2025"] == "10"
    assert by_month["May 2025"] == "15"  # 5 at the group + 10 in 1:1s (5 of them the same)
    assert by_month["Jul 2025"] == "0"


def test_a_small_part_of_the_reach_split_hides_the_next_smallest_too(coordinator, volunteer):
    room = group_room()
    session = session_of(room, at(3), volunteer)
    mums = make_mums(12)
    for mum in mums[:9]:
        Attendance.objects.create(session=session, user=mum)
    for mum in mums[9:]:
        pair(mum, volunteer, coordinator, created=at(2))

    reached = reports.reach(scope=YEAR)
    # 9 group only, 3 1:1 only, 0 both: the 3 could be worked out from 12 - 9.
    assert reached.total.text == "12"
    assert (reached.group_only.text, reached.one_to_one_only.text) == (FEWER, FEWER)
    assert reached.both.text == "0"
    # One session: its attendances would be the 9 at the group, so they go too.
    assert reports.sessions(scope=YEAR).attendances.text == FEWER


def test_sessions_held_and_members_attendance(staff_client, volunteer):
    room = group_room()
    sessions = [session_of(room, at(month), volunteer) for month in (2, 3, 4)]
    session_of(room, at(12, year=2024), volunteer)  # before the period
    mums = make_mums(6)
    for session, members in zip(sessions, (mums, mums[:4], mums[:2]), strict=True):
        Attendance.objects.create(session=session, user=volunteer)
        for mum in members:
            Attendance.objects.create(session=session, user=mum)

    held = reports.sessions(scope=YEAR)
    assert (held.held.text, held.attendances.text) == ("3", "12")
    assert held.mean_per_session.text == "4.0"
    rows = csv_rows(staff_client)
    assert csv_value(rows, "Sessions", "Group sessions held", "Sessions") == "3"


def test_referrals_by_source_and_outcome_hide_small_counts(staff_client):
    n = 0
    for role, status, count in (
        ("health_visitor", "joined", 6),
        ("midwife", "accepted", 5),
        ("self", "declined", 2),
    ):
        for _ in range(count):
            referral(role, status, at(3), n)
            n += 1
    referral("gp", "new", at(12, year=2024), n)  # before the period

    received = reports.referrals(scope=YEAR)
    assert received.total.text == "13"
    by_source = {line.label: line.figure.text for line in received.by_source}
    # 2 self-referrals are hidden, and so are the 5 from midwives (13 - 6 would show 7).
    assert by_source["Health visitor"] == "6"
    assert by_source["Midwife"] == FEWER
    assert by_source["Self-referral"] == FEWER
    assert by_source["GP"] == "0"
    by_outcome = {line.label: line.figure.text for line in received.by_outcome}
    assert by_outcome["Joined Village"] == "6"
    assert by_outcome["Declined"] == FEWER
    rows = csv_rows(staff_client)
    assert csv_value(rows, "Referrals by source", "Midwife", "Referrals") == FEWER
    assert csv_value(rows, "Referrals by source", "Health visitor", "Referrals") == "6"


# --- Feedback ---------------------------------------------------------------------------

# Eight mums' feedback: less isolated, know where help is, would recommend.
FEEDBACK = [
    ("agree", "agree", 10),
    ("agree", "agree", 9),
    ("agree", "neither", 9),
    ("agree", "", 8),
    ("agree", "disagree", 7),
    ("agree", "agree", 6),
    ("neither", "", 3),
    ("disagree", "agree", 10),
]


def test_feedback_shares_recommendation_split_and_shareable_comments(staff_client):
    mums = make_mums(8)
    for i, (mum, (isolated, help_, recommend)) in enumerate(zip(mums, FEEDBACK, strict=True)):
        Feedback.objects.create(
            member=mum,
            completed_at=at(5),
            less_isolated=isolated,
            know_where_help=help_,
            recommend=recommend,
            comment=f"Comment {i}: the group got me through." if i < 3 else "",
            comment_shareable=i < 2,
        )
    Feedback.objects.create(member=mums[0], completed_at=None, less_isolated="disagree")

    result = reports.feedback(scope=YEAR)
    isolated, help_, understood, _ = result.statements
    assert (isolated.answered.text, isolated.agree.text) == ("8", "75.0%")
    assert (isolated.neither.text, isolated.disagree.text) == ("12.5%", "12.5%")
    assert (help_.answered.text, help_.agree.text, help_.neither.text) == ("6", "66.7%", "16.7%")
    assert understood.answered.text == "0" and understood.agree.text == FEWER
    rec = result.recommendation
    assert (rec.promoters.text, rec.passives.text, rec.detractors.text) == (
        "50.0%",
        "25.0%",
        "25.0%",
    )
    assert rec.net_score.text == "+25"

    html = report_page(staff_client)
    assert "Comment 0: the group got me through." in html
    assert "Comment 1: the group got me through." in html
    assert "Comment 2" not in html  # she did not agree to share it
    assert "Zelda" not in html


def test_feedback_from_4_mums_is_hidden_and_their_comments_are_not_shown(staff_client):
    for mum in make_mums(4):
        Feedback.objects.create(
            member=mum,
            completed_at=at(5),
            less_isolated="agree",
            recommend=10,
            comment="Lovely volunteers",
            comment_shareable=True,
        )

    result = reports.feedback(scope=YEAR)
    assert result.statements[0].agree.text == FEWER
    assert result.recommendation.net_score.text == FEWER
    assert result.comments is None
    assert "Lovely volunteers" not in report_page(staff_client)
    rows = csv_rows(staff_client)
    assert csv_value(rows, "Feedback", "I feel less isolated", "Agree") == FEWER


# --- Safeguarding -------------------------------------------------------------------


def test_flags_by_level_and_median_minutes_to_acknowledge_a_red_flag(staff_client):
    for minutes in (2, 4, 6, 10, 30):
        created = at(4)
        Flag.objects.create(
            source="scanner",
            level=Level.RED,
            category="self_harm",
            created_at=created,
            acknowledged_at=created + timedelta(minutes=minutes),
        )
    Flag.objects.create(source="scanner", level=Level.RED, category="self_harm", created_at=at(5))
    for _ in range(3):
        Flag.objects.create(
            source="report", level=Level.AMBER, category="contact", created_at=at(6)
        )

    guard = reports.safeguarding(scope=YEAR)
    levels = {line.label: line.figure.text for line in guard.by_level}
    assert levels == {"Red: urgent": "6", "Amber: review soon": "3", "Green: no action": "0"}
    assert guard.median_minutes_to_acknowledge.text == "6.0"
    rows = csv_rows(staff_client)
    assert (
        csv_value(rows, "Safeguarding", "Median time to acknowledge a RED flag", "Minutes") == "6.0"
    )


def test_a_median_from_fewer_than_5_acknowledged_red_flags_is_hidden():
    Flag.objects.create(
        source="scanner",
        level=Level.RED,
        category="self_harm",
        created_at=at(4),
        acknowledged_at=at(4) + timedelta(minutes=3),
    )

    guard = reports.safeguarding(scope=YEAR)
    assert guard.median_minutes_to_acknowledge.text == FEWER
    assert guard.by_level[0].figure.text == "1"  # the service's flag counts are shown


# --- One room or one volunteer --------------------------------------------------------


def test_a_room_report_counts_the_mums_who_came_to_that_rooms_sessions(
    staff_client, coordinator, volunteer
):
    tuesday, thursday = group_room("Tuesday group"), group_room("Thursday group")
    tuesday_mums, thursday_mums = make_mums(5, prefix="tess"), make_mums(5, prefix="thea")
    for room, members in ((tuesday, tuesday_mums), (thursday, thursday_mums)):
        session = session_of(room, at(3), volunteer)
        for mum in members:
            Attendance.objects.create(session=session, user=mum)
    start_and_latest(tuesday_mums, [20] * 5, [10] * 5)
    start_and_latest(thursday_mums, [20] * 5, [18] * 5)
    Flag.objects.create(
        source="scanner",
        level=Level.AMBER,
        category="contact",
        created_at=at(3),
        room=thursday,
        subject=thursday_mums[0],
    )

    html = report_page(staff_client, room=tuesday.pk)
    assert "Group room: Tuesday group" in html
    assert "10.00" in row_text(html, "phq9")  # Tuesday's mums only
    assert "cannot be computed: every change was the same" in row_text(html, "phq9")
    assert "18.00" not in row_text(html, "phq9")
    thursday_report = reports.report(scope=Scope(period=YEAR.period, room=thursday))
    # One flag about one mum in a room: hidden, unlike the service's counts.
    assert thursday_report.safeguarding.by_level[1].figure.text == FEWER
    assert thursday_report.reach.total.text == "5"
    assert thursday_report.reach.one_to_one_only.text == "0"


def test_a_volunteer_report_counts_her_pairings_members(staff_client, coordinator, volunteer):
    other = make_person("vera@example.net", "Vera", Role.VOLUNTEER)
    hers, others = make_mums(5, prefix="hana"), make_mums(6, prefix="orla")
    for mum in hers:
        pair(mum, volunteer, coordinator, created=at(2))
    for mum in others:
        pair(mum, other, coordinator, created=at(2))
    start_and_latest(hers, [15] * 5, [9] * 5)
    start_and_latest(others, [15] * 6, [14] * 6)

    html = report_page(staff_client, volunteer=volunteer.pk)
    assert "1:1s with Val" in html
    assert "9.00" in row_text(html, "phq9")
    assert "A volunteer's 1:1 chats have no sessions." in html
    rows = csv_rows(staff_client, volunteer=volunteer.pk)
    assert csv_value(rows, "About this report", "Covers", "") == "1:1s with one volunteer"
    assert csv_value(rows, "People reached", "1:1 only", "Members") == "5"
    assert "Val" not in {cell for row in rows for cell in row}


def test_choosing_a_room_and_a_volunteer_together_is_refused(staff_client, volunteer):
    room = group_room()
    html = report_page(staff_client, room=room.pk, volunteer=volunteer.pk)
    assert "Choose one group room or one volunteer, not both." in html
    assert "People reached" not in html


# --- The export and the charts ----------------------------------------------------------


def test_csv_export_holds_the_aggregate_tables_and_no_names_or_emails(
    staff_client, coordinator, volunteer
):
    mums = make_mums(12)
    start_and_latest(mums, PHQ9_START, PHQ9_LATEST)
    room = group_room()
    session = session_of(room, at(3), volunteer)
    for mum in mums:
        Attendance.objects.create(session=session, user=mum)
        Feedback.objects.create(
            member=mum,
            completed_at=at(6),
            less_isolated="agree",
            comment="Zelda here, thank you",
            comment_shareable=True,
        )

    response = staff_client.get(reverse("staff_reports_csv"), QUERY)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="village-report-2025-01-01-to-2025-12-31.csv"'
    )
    content = response.content.decode()
    for private in ("Zelda", "Realname", "@example.net", "07700", r"\bVal\b", r"\bCora\b"):
        assert not re.search(private, content), private
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["Section", "Row", "Figure", "Value"]
    assert all(len(row) == 4 for row in rows)
    sections = {row[0] for row in rows[1:]}
    assert {
        "People reached",
        "Referrals by source",
        "Referrals by outcome",
        "Sessions",
        "Change in scores (lower is better)",
        "Feedback",
        "Safeguarding",
    } <= sections
    assert csv_value(rows, "People reached", "Total", "Members") == "12"
    assert csv_value(rows, "Feedback", "I feel less isolated", "Agree") == "100.0%"
    assert csv_value(
        rows, "Change in scores (lower is better)", "PHQ-9", "Mean at latest follow-up"
    ) == (f"{statistics.mean(PHQ9_LATEST):.2f}")


def svg_root(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    # matplotlib styles shapes inline: allowed in the image, and scripts are not.
    policy = response["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "style-src 'unsafe-inline'" in policy
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own SVG)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def svg_text(root) -> str:
    return " ".join("".join(e.itertext()) for e in root.iter("{http://www.w3.org/2000/svg}text"))


def test_change_chart_is_svg_drawing_the_shown_means_and_naming_hidden_measures(staff_client):
    mums = make_mums(12)
    start_and_latest(mums, PHQ9_START, PHQ9_LATEST)
    OutcomeSettings.objects.create(measures=["phq9", "gad7"])

    response = staff_client.get(reverse("staff_reports_change_chart"), QUERY)
    text = svg_text(svg_root(response))
    assert "Change in scores" in text and "PHQ-9" in text
    assert f"{statistics.mean(PHQ9_START):.1f}" in text
    assert f"{statistics.mean(PHQ9_LATEST):.1f}" in text
    assert "GAD-7" in text and "fewer than 5" in text
    assert len(response.content) < 60_000  # loads on a weak connection


def test_change_chart_draws_no_means_for_4_mums(staff_client):
    mums = make_mums(4)
    start_and_latest(mums, PHQ9_START[:4], PHQ9_LATEST[:4])

    text = svg_text(svg_root(staff_client.get(reverse("staff_reports_change_chart"), QUERY)))
    assert "Fewer than 5 mums" in text
    assert f"{statistics.mean(PHQ9_START[:4]):.1f}" not in text


def test_reach_chart_is_svg_with_a_bar_label_per_month(staff_client, volunteer):
    room = group_room()
    session = session_of(room, at(3), volunteer)
    for mum in make_mums(6):
        Attendance.objects.create(session=session, user=mum)

    text = svg_text(svg_root(staff_client.get(reverse("staff_reports_reach_chart"), QUERY)))
    assert "Mums reached each month" in text
    assert "Mar 2025" in text and "6" in text.split()


def test_page_embeds_both_charts_with_alt_text_and_the_same_query(staff_client):
    mums = make_mums(5)
    start_and_latest(mums, PHQ9_START[:5], PHQ9_LATEST[:5])

    html = report_page(staff_client)
    query = "date_from=2025-01-01&amp;date_to=2025-12-31"
    change = re.search(r'<img src="([^"]+)" alt="([^"]+)" data-testid="change-chart">', html)
    assert change and change.group(1) == f"{reverse('staff_reports_change_chart')}?{query}"
    assert "PHQ-9 (lower is better) from" in change.group(2)
    reach = re.search(r'<img src="([^"]+)" alt="([^"]+)" data-testid="reach-chart">', html)
    assert reach and reach.group(1) == f"{reverse('staff_reports_reach_chart')}?{query}"
    assert "Jan 2025: 0" in reach.group(2)


# --- The page's choices and who may see it -------------------------------------------------


def test_first_visit_shows_twelve_calendar_months_up_to_today(staff_client):
    html = staff_client.get(reverse("staff_reports")).content.decode()
    today = timezone.localdate()
    if today.month == 12:
        first = date(today.year, 1, 1)
    else:
        first = date(today.year - 1, today.month + 1, 1)
    assert f"1 {first:%B %Y} to {today.day} {today:%B %Y}" in html
    assert "People reached" in html
    months = re.search(r'data-testid="reach-by-month">(.*?)</table>', html, re.S).group(1)
    assert months.count("<tr>") == 1 + 12


def test_a_room_chosen_without_dates_covers_the_default_period(staff_client):
    room = group_room()
    html = staff_client.get(reverse("staff_reports"), {"room": room.pk}).content.decode()
    assert "Group room: Thursday group" in html
    assert f"{timezone.localdate():%B %Y}" in html


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"date_from": "2025-02-30"}, "Enter the first day of the period as a real date"),
        ({"date_to": "yesterday"}, "Enter the last day of the period as a real date"),
        ({"date_from": ""}, "Enter the first day of the period."),
        ({"date_from": "2025-06-01", "date_to": "2025-05-01"}, "The last day is before the first"),
        ({"date_from": "2015-01-01"}, "Choose a period of at most 5 years."),
        ({"date_to": "9999-12-31"}, "Choose a date from the year 2000 to 2099."),
    ],
)
def test_bad_dates_show_an_error_and_no_figures(staff_client, query, error):
    response = staff_client.get(reverse("staff_reports"), {**QUERY, **query})
    html = response.content.decode()
    assert error in html
    assert "No figures are shown" in html
    assert "People reached" not in html and "Change in scores" not in html

    for name in ("staff_reports_csv", "staff_reports_change_chart", "staff_reports_reach_chart"):
        refused = staff_client.get(reverse(name), {**QUERY, **query})
        assert refused.status_code == 400
        assert error in refused.content.decode()


@pytest.mark.parametrize("url_name", URL_NAMES)
def test_members_and_volunteers_are_refused_every_report_url(client, mum, volunteer, url_name):
    for person in (mum, volunteer):
        client.force_login(person)
        assert client.get(reverse(url_name), QUERY).status_code == 403


@pytest.mark.parametrize("url_name", URL_NAMES)
def test_report_urls_need_a_login(client, url_name):
    response = client.get(reverse(url_name), QUERY)
    assert response.status_code == 302 and "login" in response["Location"]
