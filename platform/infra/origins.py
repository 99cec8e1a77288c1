"""The WebSocket handshake's Origin check: the rule Django's CSRF check applies to forms.

A page may open a socket only from the site itself: its Origin must be the
origin of the handshake request (scheme, host and port, the host one of
ALLOWED_HOSTS) or one listed in CSRF_TRUSTED_ORIGINS. Comparing host names
alone, as channels' AllowedHostsOriginValidator does, lets in another service
on the same host (`http://127.0.0.1:8000`) and the other scheme.

The request's scheme is `https` when SECURE_PROXY_SSL_HEADER says so (the
proxy terminates TLS, as for Django's `request.is_secure()`), else that of the
socket (`wss` or `ws`). Its host is the one Host header, exactly as sent.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

# An Origin as browsers serialise it: scheme://host[:port], nothing else (no
# userinfo, path, control characters or look-alike letters).
SERIALISED_ORIGIN = re.compile(
    r"https?://(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?",
    re.IGNORECASE,
)


def _one_header(scope: dict, name: bytes) -> str | None:
    """The value of header `name` if it was sent exactly once, else None."""
    values = [value for key, value in scope.get("headers", []) if key.lower() == name]
    if len(values) != 1:
        return None
    return values[0].decode("latin1")


def _request_scheme(scope: dict) -> str:
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        header = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode()
        value = _one_header(scope, header)
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return "https" if scope.get("scheme") == "wss" else "http"


def request_origin(scope: dict) -> str | None:
    """The handshake's own origin ("https://host:port"), or None if its Host is not allowed."""
    host = _one_header(scope, b"host")
    if not host:
        return None
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:  # as Django's request.get_host()
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, allowed):
        return None
    return f"{_request_scheme(scope)}://{host}"


def origin_allowed(scope: dict) -> bool:
    """Whether the handshake's Origin is the site's own or a trusted one (as Django's CSRF)."""
    origin = _one_header(scope, b"origin")
    if not origin or not SERIALISED_ORIGIN.fullmatch(origin):
        return False
    trusted_exactly = {o for o in settings.CSRF_TRUSTED_ORIGINS if "*" not in o}
    if origin == request_origin(scope) or origin in trusted_exactly:
        return True
    # Wildcards such as "https://*.example.org" in CSRF_TRUSTED_ORIGINS.
    parsed = urlsplit(origin)
    return any(
        is_same_domain(parsed.netloc, trusted.split("://", 1)[1][1:])
        for trusted in settings.CSRF_TRUSTED_ORIGINS
        if "://*" in trusted and trusted.split("://", 1)[0] == parsed.scheme
    )


class SameOriginValidator:
    """ASGI middleware: refuses a WebSocket handshake whose Origin is not the site's."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)
