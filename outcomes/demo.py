"""A believable past for the demo, so that Reports has something to show.

Sixteen past members (no password: nobody logs in as them) came to the demo
group's weekly sessions or had 1:1 befriending with Val over the last months;
each answered PHQ-9 and GAD-7 at the start and later, and most left feedback.
Referrals came from the usual sources. Amy answered her first questionnaires
seven weeks ago, so a follow-up is waiting for her. Idempotent: nothing is
added if the past members exist. Scores come from a fixed seed.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import MemberProfile, ReferralSource, Role, Stage, User
from chat.models import Attendance, Membership, Pairing, Room, Session
from intake.models import ConsentGivenBy, Referral
from outcomes.measures import GAD7, PHQ9, score
from outcomes.models import Answer, Feedback, Occasion, Questionnaire

PAST_MEMBERS = 16
WEEKS = 20


def _at(weeks_ago: float, hour: int = 19) -> datetime:
    day = timezone.localdate() - timedelta(days=round(weeks_ago * 7))
    return timezone.make_aware(datetime.combine(day, time(hour, 30)))


def _answers(rng: random.Random, measure, total: int) -> dict[int, int]:
    """Option positions that add up to about `total` (PHQ-9 and GAD-7 score by position)."""
    positions = {item: 0 for item in range(1, measure.item_count + 1)}
    for _ in range(total):
        open_items = [i for i, p in positions.items() if p < measure.option_count - 1]
        if measure is PHQ9:
            open_items = [i for i in open_items if i != 9] or open_items
        positions[rng.choice(open_items)] += 1
    return positions


def _questionnaire(member, measure, occasion, when, positions, **context) -> None:
    scored = score(measure, positions)
    questionnaire = Questionnaire.objects.create(
        member=member,
        measure=measure.slug,
        version=measure.version,
        occasion=occasion,
        due_at=when,
        completed_at=when,
        total=scored.total,
        band=scored.band,
        **context,
    )
    Answer.objects.bulk_create(
        Answer(questionnaire=questionnaire, item=i, position=p, score=scored.item_scores[i])
        for i, p in positions.items()
    )


def seed_demo_outcomes(people: dict[str, User]) -> None:
    if User.objects.filter(email="past-1@example.org").exists():
        return
    rng = random.Random(2026)
    cora, val, amy = people["Cora"], people["Val"], people["Amy"]
    room = Room.objects.get(name="Thursday evening group", kind=Room.Kind.GROUP)
    sessions = [
        Session.objects.create(
            room=room,
            opened_by=val,
            opened_at=_at(week),
            closes_at=_at(week) + timedelta(minutes=90),
            closed_at=_at(week) + timedelta(minutes=90),
            on_schedule=True,
        )
        for week in range(WEEKS, 0, -1)
    ]
    sources = [s for s in ReferralSource.values]
    for n in range(1, PAST_MEMBERS + 1):
        started = rng.uniform(8, WEEKS - 1)
        member = User.objects.create(
            email=f"past-{n}@example.org",
            display_name=f"Past member {n}",
            role=Role.MEMBER,
            password=make_password(None),
            date_joined=_at(started),
        )
        MemberProfile.objects.create(
            user=member,
            stage=Stage.BABY,
            baby_birth_date=timezone.localdate() - timedelta(days=rng.randint(60, 500)),
            referral_source=sources[n % len(sources)],
        )
        Referral.objects.create(
            referrer_role=sources[n % len(sources)],
            referrer_name="" if sources[n % len(sources)] == "self" else "A professional",
            mum_name=f"Past member {n}",
            mum_email=member.email,
            stage=Stage.BABY,
            baby_birth_date=member.member_profile.baby_birth_date,
            support_wanted="either",
            reason="Demo referral",
            consent_contact=True,
            consent_data=True,
            consent_given_by=ConsentGivenBy.MUM,
            status=Referral.Status.JOINED,
            member=member,
            created_at=_at(started + 1),
            decided_at=_at(started + 0.5),
            decided_by=cora,
        )
        context = {}
        if n % 3 == 0:
            pairing_room = Room.objects.create(
                kind=Room.Kind.DIRECT, name=f"Past member {n} & Val", capacity=1
            )
            pairing = Pairing.objects.create(
                member=member,
                volunteer=val,
                room=pairing_room,
                created_by=cora,
                created_at=_at(started),
                planned_end=(_at(started) + timedelta(weeks=8)).date(),
                ended_at=_at(started - 8),
                ended_by=cora,
            )
            context = {"pairing": pairing}
        else:
            Membership.objects.create(
                room=room, user=member, joined_at=_at(started), removed_at=_at(started - 7)
            )
            for session in sessions:
                if _at(started) <= session.opened_at <= _at(started - 7) and rng.random() < 0.7:
                    Attendance.objects.create(
                        session=session, user=member, joined_at=session.opened_at
                    )
            context = {"room": room}
        for measure, start_mean in ((PHQ9, 14), (GAD7, 12)):
            baseline = max(0, min(measure.highest_total, round(rng.gauss(start_mean, 3))))
            later = max(0, baseline - max(-2, round(rng.gauss(5, 3))))
            _questionnaire(
                member, measure, Occasion.BASELINE, _at(started), _answers(rng, measure, baseline)
            )
            _questionnaire(
                member,
                measure,
                Occasion.END,
                _at(started - 7),
                _answers(rng, measure, later),
                **context,
            )
        if rng.random() < 0.85:
            agree = ["agree"] * 6 + ["neither"] * 2 + ["disagree"]
            Feedback.objects.create(
                member=member,
                due_at=_at(started - 7),
                completed_at=_at(started - 7),
                less_isolated=rng.choice(agree),
                know_where_help=rng.choice(agree),
                someone_understood=rng.choice(agree),
                use_other_services=rng.choice(agree + ["neither"]),
                recommend=rng.choice([7, 8, 9, 9, 10, 10]),
                comment="It helped to know I wasn't the only one." if n % 4 == 0 else "",
                comment_shareable=n % 4 == 0,
                **context,
            )
    if not Questionnaire.objects.filter(member=amy).exists():
        seven_weeks_ago = _at(7)
        _questionnaire(amy, PHQ9, Occasion.BASELINE, seven_weeks_ago, _answers(rng, PHQ9, 13))
        _questionnaire(amy, GAD7, Occasion.BASELINE, seven_weeks_ago, _answers(rng, GAD7, 11))
