"""WebSocket routes. The chat consumer arrives with the real-time core."""

websocket_urlpatterns: list = []
