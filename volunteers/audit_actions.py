"""What volunteers writes to the audit log: a volunteer's status, checks,
training, references, supervision, debriefs, and reminders to coordinators.

The values are stored in AuditEntry.action and the audit log filters on
them: never change one. The labels are what the audit log page shows.
"""

from django.db import models

from audit.registry import register_actions


@register_actions
class VolunteersAuditAction(models.TextChoices):
    VOLUNTEER_STATUS_CHANGED = "volunteer_status_changed", "Volunteer status changed"
    VOLUNTEER_CHECKS_CHANGED = "volunteer_checks_changed", "Volunteer record changed"
    DBS_CHECK_RECORDED = "dbs_check_recorded", "DBS check recorded"
    TRAINING_RECORDED = "training_recorded", "Training recorded"
    REFERENCE_RECORDED = "reference_recorded", "Reference recorded"
    SUPERVISION_RECORDED = "supervision_recorded", "Supervision recorded"
    DEBRIEF_REQUESTED = "debrief_requested", "Debrief requested"
    DEBRIEF_HANDLED = "debrief_handled", "Debrief arranged"
    REMINDER_SENT = "reminder_sent", "Reminder sent to coordinators"
