"""The chat's jobs on the task engine (infra.tasks)."""

from __future__ import annotations

import logging

from chat import services
from infra.tasks import task, warm_up
from moderation import risk_model

log = logging.getLogger("village.screening")


@task(services.SCREENING_JOB)
def finish_screening(*, message_id: int) -> str:
    outcome = services.finish_screening(message_id=message_id)
    log.info("stage 2 for message %s: %s", message_id, outcome)
    return outcome


# A worker loads the model when it starts, so its first jobs keep their deadline.
warm_up(risk_model.current)
