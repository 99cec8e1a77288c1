from django.apps import AppConfig


class IntakeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "intake"
    verbose_name = "Referrals"

    def ready(self) -> None:
        from intake import signals  # noqa: F401  (connects the signup receiver)
