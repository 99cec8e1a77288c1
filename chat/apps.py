from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Moderation sits below chat and never imports it: it learns who leads
        # and who is in which rooms from chat's selectors (moderation.protocols.RoomPlaces).
        from chat import selectors
        from moderation.selectors import use_room_places

        use_room_places(selectors)
        # The chat's jobs (stage 2 of screening) on the task engine.
        from chat import tasks  # noqa: F401
