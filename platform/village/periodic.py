"""The service's periodic jobs (chat, moderation, volunteers, intake, outcomes),
run in exactly one place.

With REDIS_URL set they run in their own process (`manage.py run_periodic`,
a docker-compose service) and web processes never run them; with
VILLAGE_TASKS=procrastinate the task engine's workers run `run_once`
(village.tasks) and that process only the screening deadline's sweep. On the
one-process demo (in-memory layer) the web process starts them itself on
its first request or socket (village.asgi), since daphne has no ASGI
lifespan hook. Tests drive `run_once` with a clock of their own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from chat import services
from infra import tasks
from intake.retention import anonymise_closed_referrals
from moderation import services as moderation_services
from outcomes.services import plan_questionnaires
from volunteers import reminders

log = logging.getLogger("village.periodic")

Clock = Callable[[], datetime]


def run_once(*, clock: Clock = timezone.now, daily_work: bool = True) -> dict[str, int]:
    """Run every periodic job once at the clock's time; returns what each did.

    `daily_work` (volunteer reminders, planning questionnaires, the referral
    retention rule) is work on the scale of days: `run_forever` does it every
    VILLAGE_DAILY_WORK_MINUTES, not at every tick.
    """
    now = clock()
    published = sweep_screening(now=now)
    # Messages published past their deadline go back to the model (its
    # workers may be back); each is read once.
    rescored = services.score_overdue()
    closed = services.close_due_sessions(now=now)
    for session in closed:
        log.info("closed session %s of room %s at its end", session.pk, session.room_id)
    # A volunteer whose DBS check expired (or who lost her role or was paused
    # while the change's own closing failed) must not keep a session running.
    uncleared = services.close_sessions_of_uncleared_openers(now=now)
    for session in uncleared.closed:
        log.info(
            "closed session %s of room %s: its opener may no longer lead",
            session.pk,
            session.room_id,
        )
    realerted = moderation_services.realert_unacknowledged(now=now)
    if realerted:
        log.warning(
            "%s RED flag(s) unacknowledged for 5 minutes: coordinators alerted again", realerted
        )
    reminded = asked = anonymised = 0
    if daily_work:
        reminded = reminders.send_due_reminders(today=timezone.localdate(now))
        if reminded:
            log.info("%s reminder(s) sent to coordinators", reminded)
        asked = plan_questionnaires(now=now)
        if asked:
            log.info("%s questionnaire(s) or survey(s) now due", asked)
        anonymised = anonymise_closed_referrals(now=now)
        if anonymised:
            log.info("%s closed referral(s) anonymised by the retention rule", anonymised)
    return {
        "published_past_deadline": published,
        "sent_back_to_the_model": rescored,
        "sessions_closed": len(closed),
        "sessions_closed_opener_uncleared": len(uncleared.closed),
        "red_flags_realerted": realerted,
        "reminders_sent": reminded,
        "outcomes_asked": asked,
        "referrals_anonymised": anonymised,
    }


def sweep_screening(*, now: datetime) -> int:
    """Publish, on the rules' verdict, what has waited for the model past its
    deadline (chat.services.publish_overdue)."""
    published = services.publish_overdue(now=now)
    if published:
        log.warning(
            "%s message(s) published past their screening deadline, unscreened: "
            "the model's workers are behind",
            published,
        )
    return published


def run_forever(
    *, stop: threading.Event, clock: Clock = timezone.now, interval: float | None = None
) -> None:
    """Run the jobs every `interval` seconds until `stop` is set, and the
    screening deadline's sweep every VILLAGE_SCREENING_SWEEP_SECONDS between
    them; errors are logged. When the task engine runs the jobs
    (infra.tasks.runs_periodic_jobs), only the sweep."""
    interval = interval or settings.VILLAGE_PERIODIC_INTERVAL_SECONDS
    sweep_only = tasks.runs_periodic_jobs()
    sweep_every = min(interval, settings.VILLAGE_SCREENING_SWEEP_SECONDS)
    daily_every = timedelta(minutes=settings.VILLAGE_DAILY_WORK_MINUTES)
    daily_done_at: datetime | None = None
    ran_at: datetime | None = None
    while not stop.is_set():
        try:
            now = clock()
            if sweep_only:
                sweep_screening(now=now)
            elif ran_at is None or (now - ran_at).total_seconds() >= interval:
                daily_work = daily_done_at is None or now - daily_done_at >= daily_every
                run_once(clock=lambda at=now: at, daily_work=daily_work)
                ran_at = now
                if daily_work:
                    daily_done_at = now
            else:
                sweep_screening(now=now)
        except Exception:
            log.exception("periodic jobs failed; trying again in %s s", sweep_every)
        finally:
            close_old_connections()
        stop.wait(sweep_every)
    connections.close_all()


_in_web: threading.Thread | None = None
_in_web_lock = threading.Lock()


def start_in_web_process() -> None:
    """Start the jobs in this web process, once, if this deployment runs them here."""
    global _in_web
    if not settings.VILLAGE_PERIODIC_IN_WEB or _in_web is not None:
        return
    with _in_web_lock:
        if _in_web is None:
            _in_web = threading.Thread(
                target=run_forever,
                kwargs={"stop": threading.Event()},
                name="village-periodic",
                daemon=True,
            )
            _in_web.start()
            log.info("periodic jobs started inside the web process (one-process demo)")
