"""The site's periodic jobs on the task engine (infra.tasks).

With VILLAGE_TASKS=procrastinate the workers run `village.periodic.run_once`
every VILLAGE_PERIODIC_INTERVAL_SECONDS: each worker schedules it and the
database lets exactly one of them run each tick, so a worker that dies takes
no periodic job with it. `manage.py run_periodic` then keeps only the
screening deadline's sweep (every VILLAGE_SCREENING_SWEEP_SECONDS, too often
for a queued job). With the other engines `run_periodic` (or the demo's web
process) runs everything, and this job is never run.

procrastinate imports this module at start-up (every app's `tasks`).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from infra.tasks import periodic
from village import periodic as periodic_jobs

PERIODIC_JOB = "village.periodic_jobs"


@periodic(PERIODIC_JOB, seconds=settings.VILLAGE_PERIODIC_INTERVAL_SECONDS)
def run_periodic_jobs(*, at: datetime) -> dict[str, int]:
    """The periodic jobs once; the daily work (run_once's `daily_work`) on the
    first tick of every VILLAGE_DAILY_WORK_MINUTES, counted from the hour, so
    that whichever worker runs a tick decides the same way."""
    daily_every = settings.VILLAGE_DAILY_WORK_MINUTES * 60
    daily_work = at.timestamp() % daily_every < settings.VILLAGE_PERIODIC_INTERVAL_SECONDS
    return periodic_jobs.run_once(clock=timezone.now, daily_work=daily_work)
