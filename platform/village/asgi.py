"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "village.settings")
# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402
from infra.handshakes import HandshakeGate  # noqa: E402
from infra.origins import SameOriginValidator  # noqa: E402
from village import periodic  # noqa: E402


def _protocol_closes_bad_frames() -> None:
    """Let the WebSocket protocol itself close bad frames with its own codes.

    Daphne (which imports this module before it builds its server) drops the
    TCP connection on invalid UTF-8 and has no frame size limit. With these
    options autobahn closes with 1007 (invalid UTF-8) and 1009 (a frame over
    VILLAGE_WS_MAX_FRAME_BYTES), as the protocol contract says.
    """
    import daphne.server
    from django.conf import settings

    base = daphne.server.WebSocketFactory
    if getattr(base, "village_limits", False):
        return

    class WebSocketFactory(base):
        village_limits = True

        def setProtocolOptions(self, *args, **options):  # noqa: N802 - autobahn's name
            # Only the frame limit: it applies to what clients send, while
            # autobahn's message limit would also refuse large `joined` answers.
            options.update(
                failByDrop=False, maxFramePayloadSize=settings.VILLAGE_WS_MAX_FRAME_BYTES
            )
            super().setProtocolOptions(*args, **options)

    daphne.server.WebSocketFactory = WebSocketFactory


_protocol_closes_bad_frames()


class StartsPeriodicJobs:
    """On the one-process demo the web process runs the periodic jobs itself,
    from its first request or socket: daphne has no ASGI lifespan hook to
    start them from. Elsewhere (`run_periodic`) this does nothing."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        periodic.start_in_web_process()
        return await self.app(scope, receive, send)


application = StartsPeriodicJobs(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": HandshakeGate(
                # The full origin (scheme, host, port), as Django's CSRF check compares it.
                SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
            ),
        }
    )
)
