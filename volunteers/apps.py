from django.apps import AppConfig


class VolunteersConfig(AppConfig):
    """Volunteers' records, reminders and hand-overs (their models live in accounts)."""

    name = "volunteers"
    default_auto_field = "django.db.models.BigAutoField"
