"""The coordinators' reports: what Village did in a period, and whether it helped.

Selectors only: pure reads that return frozen dataclasses, never a person's
row. Every figure a report shows is a `Figure`, whose `text` is what the page
and the CSV print and whose `value` is what the charts draw.

The period runs from the start of its first day to the end of its last day,
in the service's time zone (Europe/London); by default it is twelve calendar
months, the eleven before this one and this one up to today. A report covers the whole service,
one group room, or one volunteer's 1:1s:

- People reached: members (people whose role is member; the volunteers who
  lead sessions are left out) who attended a session of a group room opened in
  the period, or who had a 1:1 pairing active at any time in it (begun before
  the period ended, not ended before it began). Split into group only, 1:1
  only and both; by month, a mum counts once in each month she was reached.
- Referrals received in the period, by who referred and by where each stands
  now. Referrals belong to no room or volunteer, so they always cover the whole
  service.
- Sessions held: group sessions opened in the period; attendances are the
  members' (not the volunteers') visits to them; the mean is attendances
  divided by sessions held. How many different members came is the reach's
  "group only" plus "both", so it is not shown again here.
- Change in scores: for each measure in use (the service's chosen measures,
  and any other measure completed in the period) and each of its scores, the
  mums with a completed start (baseline) questionnaire, at any time, and a
  completed follow-up or end questionnaire later than it and inside the
  period; her latest such score is compared with her start. Reported: the
  mean at the start, the mean at the latest follow-up, a paired t-test of the
  change (latest minus start; scipy.stats.ttest_rel), and the share of mums
  whose score moved by at least the measure's meaningful change in the better
  direction (down, unless higher is better).
- Feedback completed in the period: for each statement, the share who agreed,
  neither or disagreed, of those who answered it; would she recommend Village,
  as a Net-Promoter-style split (9-10 promoters, 7-8 passives, 0-6 detractors;
  net score = % promoters minus % detractors); comments she marked shareable,
  without names.
- Safeguarding: flags raised in the period by level; the median minutes from
  a RED flag being raised to a coordinator acknowledging it.

One room or one volunteer: a mum belongs to the room if she attended one of
its sessions in the period, and to the volunteer if she had a 1:1 with her
active in the period. Her questionnaires and feedback are counted whatever
room or pairing they were asked for (a start questionnaire is usually asked
before she is in any room), so a mum in two groups counts in both. Sessions
are the room's; flags are those raised in the room (for a volunteer, in her
1:1 chats).

Small numbers. Any figure computed from fewer than 5 people (a count of
people from 1 to 4, a mean, a percentage, a test) is shown as "fewer than 5",
never the figure; a count of nobody (0) is shown. Where parts add up to a
total that is shown (reached by group, 1:1 or both; referrals by source or by
outcome; flags by level), hiding one small part is not enough, since it could
be worked out by subtraction: the next smallest parts are hidden too, until
the hidden parts add up to at least 5. Counts of things that are not people
(sessions held) are shown as they are, and so are the service's flag counts;
for one room or volunteer, a count of flags is about the few people in it and
is hidden when its flags are about fewer than 5 people. Attendances (and their
mean) are hidden when fewer than 5 members came, or when the reach table hides
a part: with a single session they equal "group only" plus "both". A median time to
acknowledge needs at least 5 acknowledged RED flags. The CSV export applies
the same rules (it holds the page's text).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import fmean, median

from django.db.models import Q
from django.utils import timezone

from accounts.models import ReferralSource, Role, User
from chat.models import Attendance, Pairing, Room, Session
from intake.models import Referral
from moderation.models import Flag, Level
from outcomes.measures import BUILT_IN, Measure
from outcomes.models import Feedback, Occasion, Questionnaire
from outcomes.selectors import outcome_settings

SMALL = 5
FEWER = "fewer than 5"
SMALL_NUMBER_RULE = (
    "Any figure from fewer than 5 people (a count of people, a mean, a percentage, a test) "
    'shows as "fewer than 5"; a count of nobody shows as 0. Where parts add up to a total, '
    "the next smallest part is hidden too, so that a hidden figure cannot be worked out by "
    "subtraction. Sessions and the whole service's flags are counted as they are; "
    "attendances are hidden whenever the reach table hides a part; for one room or one "
    "volunteer, a count of flags about fewer than 5 people is hidden. Comments are listed "
    "once 5 or more mums have given feedback."
)
SIGNIFICANCE = 0.05
LONGEST_PERIOD_DAYS = 5 * 366


# --- Figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A number as the report prints it; `value` is None when hidden or not computable."""

    value: float | None
    text: str
    suppressed: bool = False

    def __str__(self) -> str:
        return self.text


HIDDEN = Figure(None, FEWER, suppressed=True)


def _count(n: int) -> Figure:
    return Figure(n, str(n))


def _people(n: int) -> Figure:
    """A count of people: hidden from 1 to 4."""
    return HIDDEN if 0 < n < SMALL else _count(n)


def _decimal(value: float | None, places: int = 2, *, signed: bool = False) -> Figure:
    if value is None or not math.isfinite(value):
        return Figure(None, "cannot be computed")
    return Figure(value, f"{value:+.{places}f}" if signed else f"{value:.{places}f}")


def _percent(part: int, base: int) -> Figure:
    share = 100 * part / base
    return Figure(share, f"{share:.1f}%")


def _p_value(p: float | None) -> Figure:
    if p is None or not math.isfinite(p):
        return Figure(None, "cannot be computed")
    return Figure(p, "< 0.001" if p < 0.001 else f"{p:.3f}")


def _parts(counts: Sequence[int], *, people: Sequence[int] | None = None) -> list[Figure]:
    """Counts that add up to a shown total, with small ones hidden (see the module docstring).

    `people[i]` is how many people part i is about (the counts themselves when
    they count people).
    """
    people = list(counts if people is None else people)
    hidden = [0 < n < SMALL for n in people]
    while any(hidden) and sum(n for n, h in zip(people, hidden, strict=True) if h) < SMALL:
        shown = [(n, i) for i, (n, h) in enumerate(zip(people, hidden, strict=True)) if n and not h]
        if not shown:
            break
        hidden[min(shown)[1]] = True
    return [HIDDEN if h else _count(n) for n, h in zip(counts, hidden, strict=True)]


# --- What a report covers ----------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included, in the service's time zone."""

    start: date
    end: date

    @classmethod
    def last_twelve_months(cls, *, today: date) -> Period:
        """Twelve calendar months: the eleven before this one, and this one up to today."""
        first = today.replace(day=1)
        for _ in range(11):
            first = (first - timedelta(days=1)).replace(day=1)
        return cls(start=first, end=today)

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def label(self) -> str:
        return f"{self.start.day} {self.start:%B %Y} to {self.end.day} {self.end:%B %Y}"

    def months(self) -> list[Month]:
        months = []
        first = self.start.replace(day=1)
        while first <= self.end:
            following = (first + timedelta(days=32)).replace(day=1)
            months.append(
                Month(
                    first=first,
                    start_at=max(self.start_at, _midnight(first)),
                    end_at=min(self.end_at, _midnight(following)),
                    whole=self.start <= first and following - timedelta(days=1) <= self.end,
                )
            )
            first = following
        return months


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class Month:
    """A calendar month, cut to the period."""

    first: date
    start_at: datetime
    end_at: datetime
    whole: bool  # False when the period starts or ends inside the month

    @property
    def label(self) -> str:
        return f"{self.first:%b %Y}"


@dataclass(frozen=True)
class Scope:
    """A period, and at most one of: a group room, a volunteer (her 1:1s)."""

    period: Period
    room: Room | None = None
    volunteer: User | None = None

    def __post_init__(self) -> None:
        if self.room is not None and self.volunteer is not None:
            raise ValueError("A report covers one room or one volunteer, not both.")

    @property
    def is_whole_service(self) -> bool:
        return self.room is None and self.volunteer is None

    @property
    def label(self) -> str:
        if self.room is not None:
            return f"Group room: {self.room.name}"
        if self.volunteer is not None:
            return f"1:1s with {self.volunteer.display_name}"
        return "The whole service"

    @property
    def anonymous_label(self) -> str:
        """The label without a person's name (for exports)."""
        if self.volunteer is not None:
            return "1:1s with one volunteer"
        return self.label


# --- Who was reached ----------------------------------------------------------------


def _group_visits(scope: Scope) -> list[tuple[int, datetime]]:
    """(member id, session opened at) for each member's attendance at a session in scope."""
    if scope.volunteer is not None:
        return []
    period = scope.period
    visits = Attendance.objects.filter(
        session__room__kind=Room.Kind.GROUP,
        session__opened_at__gte=period.start_at,
        session__opened_at__lt=period.end_at,
        user__role=Role.MEMBER,
    )
    if scope.room is not None:
        visits = visits.filter(session__room=scope.room)
    return list(visits.values_list("user_id", "session__opened_at"))


def _pairing_spans(scope: Scope) -> list[tuple[int, datetime, datetime | None]]:
    """(member id, created at, ended at) for each 1:1 active at some time in the period."""
    if scope.room is not None:
        return []
    period = scope.period
    pairings = Pairing.objects.filter(
        created_at__lt=period.end_at, member__role=Role.MEMBER
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gte=period.start_at))
    if scope.volunteer is not None:
        pairings = pairings.filter(volunteer=scope.volunteer)
    return list(pairings.values_list("member_id", "created_at", "ended_at"))


def _cohort(scope: Scope) -> set[int] | None:
    """The members a room's or volunteer's report is about; None for the whole service."""
    if scope.is_whole_service:
        return None
    return {m for m, _ in _group_visits(scope)} | {m for m, _, _ in _pairing_spans(scope)}


@dataclass(frozen=True)
class MonthReach:
    month: Month
    people: Figure


@dataclass(frozen=True)
class Reach:
    total: Figure
    group_only: Figure
    one_to_one_only: Figure
    both: Figure
    months: tuple[MonthReach, ...]


def _split(
    visits: list[tuple[int, datetime]], spans: list[tuple[int, datetime, datetime | None]]
) -> list[Figure]:
    """Group only, 1:1 only, both: with small parts hidden."""
    group = {m for m, _ in visits}
    one_to_one = {m for m, _, _ in spans}
    return _parts([len(group - one_to_one), len(one_to_one - group), len(group & one_to_one)])


def reach(*, scope: Scope) -> Reach:
    visits = _group_visits(scope)
    spans = _pairing_spans(scope)
    group = {m for m, _ in visits}
    one_to_one = {m for m, _, _ in spans}
    group_only, one_to_one_only, both = _split(visits, spans)
    months = []
    for month in scope.period.months():
        reached = {m for m, opened in visits if month.start_at <= opened < month.end_at}
        reached |= {
            m
            for m, created, ended in spans
            if created < month.end_at and (ended is None or ended >= month.start_at)
        }
        months.append(MonthReach(month=month, people=_people(len(reached))))
    return Reach(
        total=_people(len(group | one_to_one)),
        group_only=group_only,
        one_to_one_only=one_to_one_only,
        both=both,
        months=tuple(months),
    )


# --- Referrals ----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One labelled figure in a table."""

    label: str
    figure: Figure


@dataclass(frozen=True)
class Referrals:
    total: Figure
    by_source: tuple[Line, ...]
    by_outcome: tuple[Line, ...]


# Referral sources as a commissioner reads them (the signup form asks her in
# her own words: "I found Village myself").
SOURCE_LABELS = tuple(
    "Self-referral" if value == ReferralSource.SELF else label
    for value, label in ReferralSource.choices
)


def referrals(*, scope: Scope) -> Referrals:
    """Referrals received in the period (always the whole service: see the module docstring)."""
    period = scope.period
    received = list(
        Referral.objects.filter(
            created_at__gte=period.start_at, created_at__lt=period.end_at
        ).values_list("referrer_role", "status")
    )
    sources = [sum(1 for r, _ in received if r == value) for value in ReferralSource.values]
    outcomes = [sum(1 for _, s in received if s == value) for value in Referral.Status.values]
    return Referrals(
        total=_people(len(received)),
        by_source=tuple(
            Line(label, figure)
            for label, figure in zip(SOURCE_LABELS, _parts(sources), strict=True)
        ),
        by_outcome=tuple(
            Line(label, figure)
            for label, figure in zip(Referral.Status.labels, _parts(outcomes), strict=True)
        ),
    )


# --- Sessions -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sessions:
    """Group sessions and members' attendance.

    How many different members came is not shown here: it is the reach's group
    only + both, and showing it would undo that table's hiding; for the same
    reason attendances are hidden whenever that table hides a part.
    """

    applies: bool  # a volunteer's 1:1s have no sessions
    held: Figure
    attendances: Figure
    mean_per_session: Figure


def sessions(*, scope: Scope) -> Sessions:
    if scope.volunteer is not None:
        nothing = Figure(None, "not applicable")
        return Sessions(False, nothing, nothing, nothing)
    period = scope.period
    held = Session.objects.filter(
        room__kind=Room.Kind.GROUP, opened_at__gte=period.start_at, opened_at__lt=period.end_at
    )
    if scope.room is not None:
        held = held.filter(room=scope.room)
    count = held.count()
    visits = _group_visits(scope)
    members = len({m for m, _ in visits})
    # With one session, attendances are the members who came to groups (group
    # only + both): when the reach table hides a part, they would give it away.
    if 0 < members < SMALL or any(f.suppressed for f in _split(visits, _pairing_spans(scope))):
        attendances = mean = HIDDEN
    else:
        attendances = _count(len(visits))
        mean = _decimal(len(visits) / count, 1) if count else Figure(None, "no sessions")
    return Sessions(
        applies=True,
        held=_count(count),
        attendances=attendances,
        mean_per_session=mean,
    )


# --- Change in scores ---------------------------------------------------------------


def _score_range(definition: Measure, score: str) -> tuple[int, int]:
    if score == "total":
        return definition.lowest_total, definition.highest_total
    items = len(next(s.items for s in definition.subscales if s.slug == score))
    low = definition.lowest_item_score
    return items * low, items * (low + definition.option_count - 1)


@dataclass(frozen=True)
class ScoreChange:
    """One score of one measure: start against latest follow-up, for the same mums."""

    measure: str
    score: str
    label: str
    higher_is_better: bool
    meaningful_change: int
    lowest: int
    highest: int
    people: Figure
    start_mean: Figure
    latest_mean: Figure
    mean_change: Figure
    t: Figure
    p: Figure
    significant: Figure
    improved: Figure

    @property
    def shown(self) -> bool:
        return self.start_mean.value is not None and self.latest_mean.value is not None

    @property
    def direction(self) -> str:
        return "higher is better" if self.higher_is_better else "lower is better"

    @property
    def improvement_rule(self) -> str:
        way = "up" if self.higher_is_better else "down"
        return f"{way} by {self.meaningful_change} or more"


def _measures_in_use(scope: Scope, cohort: set[int] | None) -> list[str]:
    period = scope.period
    done = Questionnaire.objects.filter(
        completed_at__gte=period.start_at, completed_at__lt=period.end_at
    )
    if cohort is not None:
        done = done.filter(member_id__in=cohort)
    slugs = set(done.values_list("measure", flat=True)) | set(outcome_settings().measures)
    return [slug for slug in BUILT_IN if slug in slugs]


def _score_change(definition: Measure, score: str, pairs: list[tuple[int, int]]) -> ScoreChange:
    lowest, highest = _score_range(definition, score)
    n = len(pairs)
    common = {
        "measure": definition.slug,
        "score": score,
        "label": definition.score_label(score),
        "higher_is_better": definition.higher_is_better,
        "meaningful_change": definition.meaningful_change,
        "lowest": lowest,
        "highest": highest,
        "people": _people(n),
    }
    if n < SMALL:
        hidden = dict.fromkeys(
            ("start_mean", "latest_mean", "mean_change", "t", "p", "significant", "improved"),
            HIDDEN,
        )
        return ScoreChange(**common, **hidden)
    start = [s for s, _ in pairs]
    latest = [f for _, f in pairs]
    if len({f - s for s, f in pairs}) == 1:
        # Every mum changed by the same amount: the test divides by no spread.
        t = p = math.nan
        significant = Figure(None, "cannot be computed: every change was the same")
    else:
        # Imported here: scipy.stats takes about a second, and only this needs it.
        from scipy import stats

        test = stats.ttest_rel(latest, start)
        t, p = float(test.statistic), float(test.pvalue)
        significant = Figure(
            float(p < SIGNIFICANCE), f"yes (p < {SIGNIFICANCE})" if p < SIGNIFICANCE else "no"
        )
    better = 1 if definition.higher_is_better else -1
    improved = sum(1 for s, f in pairs if better * (f - s) >= definition.meaningful_change)
    return ScoreChange(
        **common,
        start_mean=_decimal(fmean(start)),
        latest_mean=_decimal(fmean(latest)),
        mean_change=_decimal(fmean(latest) - fmean(start), signed=True),
        t=_decimal(t),
        p=_p_value(p),
        significant=significant,
        improved=_percent(improved, n),
    )


def score_changes(*, scope: Scope) -> tuple[ScoreChange, ...]:
    """Each score of each measure in use, in the order of the built-in measures."""
    period = scope.period
    cohort = _cohort(scope)
    slugs = _measures_in_use(scope, cohort)
    done = Questionnaire.objects.filter(measure__in=slugs, completed_at__isnull=False)
    if cohort is not None:
        done = done.filter(member_id__in=cohort)
    starts: dict[tuple[str, int], Questionnaire] = {}
    for q in done.filter(occasion=Occasion.BASELINE).order_by("completed_at", "id"):
        starts.setdefault((q.measure, q.member_id), q)
    later: dict[tuple[str, int], list[Questionnaire]] = defaultdict(list)
    for q in done.filter(
        occasion__in=(Occasion.FOLLOW_UP, Occasion.END),
        completed_at__gte=period.start_at,
        completed_at__lt=period.end_at,
    ).order_by("completed_at", "id"):
        later[(q.measure, q.member_id)].append(q)

    rows = []
    for slug in slugs:
        definition = BUILT_IN[slug]
        for score in definition.scores:
            pairs = []
            for (measure, member), start in starts.items():
                if measure != slug or start.score(score) is None:
                    continue
                after = [
                    q
                    for q in later.get((measure, member), [])
                    if q.completed_at > start.completed_at and q.score(score) is not None
                ]
                if after:
                    pairs.append((start.score(score), after[-1].score(score)))
            rows.append(_score_change(definition, score, pairs))
    return tuple(rows)


# --- Feedback -----------------------------------------------------------------------


@dataclass(frozen=True)
class StatementResult:
    wording: str
    answered: Figure
    agree: Figure
    neither: Figure
    disagree: Figure


@dataclass(frozen=True)
class Recommendation:
    """Would she recommend Village (0-10), as a Net-Promoter-style split."""

    answered: Figure
    promoters: Figure
    passives: Figure
    detractors: Figure
    net_score: Figure


@dataclass(frozen=True)
class FeedbackResults:
    responses: Figure
    people: Figure
    statements: tuple[StatementResult, ...]
    recommendation: Recommendation
    # Shareable comments, only when at least 5 people gave feedback (else None).
    comments: tuple[str, ...] | None


def _shares(answers: list[tuple[int, object]], categories: Iterable[object]) -> list[Figure]:
    """Per category, the % of answers; hidden when fewer than 5 people answered."""
    categories = list(categories)
    if len({member for member, _ in answers}) < SMALL:
        return [HIDDEN for _ in categories]
    return [_percent(sum(1 for _, a in answers if a == c), len(answers)) for c in categories]


def _answered(answers: list[tuple[int, object]]) -> Figure:
    people = len({member for member, _ in answers})
    return HIDDEN if 0 < people < SMALL else _count(len(answers))


def feedback(*, scope: Scope) -> FeedbackResults:
    period = scope.period
    cohort = _cohort(scope)
    given = Feedback.objects.filter(
        completed_at__gte=period.start_at, completed_at__lt=period.end_at
    )
    if cohort is not None:
        given = given.filter(member_id__in=cohort)
    rows = list(given)
    people = len({f.member_id for f in rows})

    statements = []
    for field, wording in Feedback.STATEMENTS:
        answers = [(f.member_id, getattr(f, field)) for f in rows if getattr(f, field)]
        agree, neither, disagree = _shares(answers, ("agree", "neither", "disagree"))
        statements.append(StatementResult(wording, _answered(answers), agree, neither, disagree))

    scores = [(f.member_id, f.recommend) for f in rows if f.recommend is not None]
    bands = [(m, "promoter" if s >= 9 else "passive" if s >= 7 else "detractor") for m, s in scores]
    promoters, passives, detractors = _shares(bands, ("promoter", "passive", "detractor"))
    if promoters.value is None or detractors.value is None:
        net = HIDDEN
    else:
        net = _decimal(promoters.value - detractors.value, 0, signed=True)

    comments = None
    if people >= SMALL:
        # Sorted by their words, not by date, so that order says nothing about who.
        comments = tuple(
            sorted(f.comment.strip() for f in rows if f.comment_shareable and f.comment.strip())
        )
    return FeedbackResults(
        responses=HIDDEN if 0 < people < SMALL else _count(len(rows)),
        people=_people(people),
        statements=tuple(statements),
        recommendation=Recommendation(
            answered=_answered(scores),
            promoters=promoters,
            passives=passives,
            detractors=detractors,
            net_score=net,
        ),
        comments=comments,
    )


# --- Safeguarding -------------------------------------------------------------------


@dataclass(frozen=True)
class Safeguarding:
    total: Figure
    by_level: tuple[Line, ...]
    red_acknowledged: Figure
    median_minutes_to_acknowledge: Figure


def safeguarding(*, scope: Scope) -> Safeguarding:
    period = scope.period
    raised = Flag.objects.filter(created_at__gte=period.start_at, created_at__lt=period.end_at)
    if scope.room is not None:
        raised = raised.filter(room=scope.room)
    elif scope.volunteer is not None:
        rooms = Pairing.objects.filter(
            volunteer=scope.volunteer, created_at__lt=period.end_at
        ).filter(Q(ended_at__isnull=True) | Q(ended_at__gte=period.start_at))
        raised = raised.filter(room_id__in=rooms.values("room_id"))
    flags = list(raised.values_list("pk", "level", "subject_id", "created_at", "acknowledged_at"))

    def about(level_flags) -> int:
        # A flag without a subject (a referral's) counts as a person of its own.
        return len({subject or f"flag {pk}" for pk, _, subject, _, _ in level_flags})

    per_level = [[f for f in flags if f[1] == level] for level in Level.values]
    counts = [len(fs) for fs in per_level]
    if scope.is_whole_service:
        figures = [_count(n) for n in counts]
        total = _count(len(flags))
    else:
        figures = _parts(counts, people=[about(fs) for fs in per_level])
        total = HIDDEN if 0 < about(flags) < SMALL else _count(len(flags))

    waits = [
        (acknowledged - created).total_seconds() / 60
        for _, level, _, created, acknowledged in flags
        if level == Level.RED and acknowledged is not None
    ]
    if len(waits) < SMALL:
        acknowledged, median_wait = (HIDDEN if waits else _count(0)), HIDDEN
    else:
        acknowledged, median_wait = _count(len(waits)), _decimal(median(waits), 1)
    return Safeguarding(
        total=total,
        by_level=tuple(
            Line(label, figure) for label, figure in zip(Level.labels, figures, strict=True)
        ),
        red_acknowledged=acknowledged,
        median_minutes_to_acknowledge=median_wait,
    )


# --- The whole report ---------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    scope: Scope
    reach: Reach
    referrals: Referrals
    sessions: Sessions
    score_changes: tuple[ScoreChange, ...]
    feedback: FeedbackResults
    safeguarding: Safeguarding


def report(*, scope: Scope) -> Report:
    return Report(
        scope=scope,
        reach=reach(scope=scope),
        referrals=referrals(scope=scope),
        sessions=sessions(scope=scope),
        score_changes=score_changes(scope=scope),
        feedback=feedback(scope=scope),
        safeguarding=safeguarding(scope=scope),
    )


def table_rows(result: Report) -> list[tuple[str, str, str, str]]:
    """The report's tables as (section, row, figure, value) text, for the CSV export.

    Aggregates only, with the page's small-number hiding; no names, no comments.
    """
    rows: list[tuple[str, str, str, str]] = []
    reach_ = result.reach
    for label, figure in (
        ("Total", reach_.total),
        ("Group sessions only", reach_.group_only),
        ("1:1 only", reach_.one_to_one_only),
        ("Both", reach_.both),
    ):
        rows.append(("People reached", label, "Members", figure.text))
    for month in reach_.months:
        rows.append(("People reached by month", month.month.label, "Members", month.people.text))

    refs = result.referrals
    rows.append(("Referrals by source", "Total", "Referrals", refs.total.text))
    rows += [
        ("Referrals by source", line.label, "Referrals", line.figure.text)
        for line in refs.by_source
    ]
    rows += [
        ("Referrals by outcome", line.label, "Referrals", line.figure.text)
        for line in refs.by_outcome
    ]

    held = result.sessions
    if held.applies:
        rows += [
            ("Sessions", "Group sessions held", "Sessions", held.held.text),
            ("Sessions", "Attendances", "Attendances", held.attendances.text),
            ("Sessions", "Mean attendance per session", "Members", held.mean_per_session.text),
        ]

    for change in result.score_changes:
        for figure_name, figure in (
            ("Mums (n)", change.people),
            ("Mean at start", change.start_mean),
            ("Mean at latest follow-up", change.latest_mean),
            ("Mean change", change.mean_change),
            ("Paired t", change.t),
            ("p", change.p),
            ("Significant", change.significant),
            (f"Improved ({change.improvement_rule})", change.improved),
        ):
            rows.append(
                (f"Change in scores ({change.direction})", change.label, figure_name, figure.text)
            )

    fb = result.feedback
    rows.append(("Feedback", "Responses", "Responses", fb.responses.text))
    for statement in fb.statements:
        for figure_name, figure in (
            ("Answered", statement.answered),
            ("Agree", statement.agree),
            ("Neither", statement.neither),
            ("Disagree", statement.disagree),
        ):
            rows.append(("Feedback", statement.wording, figure_name, figure.text))
    rec = fb.recommendation
    for figure_name, figure in (
        ("Answered", rec.answered),
        ("Promoters (9-10)", rec.promoters),
        ("Passives (7-8)", rec.passives),
        ("Detractors (0-6)", rec.detractors),
        ("Net score (% promoters minus % detractors)", rec.net_score),
    ):
        rows.append(("Feedback", "Would recommend Village (0-10)", figure_name, figure.text))

    guard = result.safeguarding
    rows.append(("Safeguarding", "Flags raised", "Flags", guard.total.text))
    rows += [("Safeguarding", line.label, "Flags", line.figure.text) for line in guard.by_level]
    rows += [
        ("Safeguarding", "RED flags acknowledged", "Flags", guard.red_acknowledged.text),
        (
            "Safeguarding",
            "Median time to acknowledge a RED flag",
            "Minutes",
            guard.median_minutes_to_acknowledge.text,
        ),
    ]
    return rows
