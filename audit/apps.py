from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class AuditConfig(AppConfig):
    name = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app declares its actions in its own `audit_actions` module;
        # importing them fills the registry the audit log page reads labels
        # from, without this app importing any of them by name.
        autodiscover_modules("audit_actions")
