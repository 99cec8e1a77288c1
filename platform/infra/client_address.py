"""The address a request came from, for per-address limits.

Every per-address decision (the referral limit, allauth's login limits) reads
the address here and nowhere else. `VILLAGE_TRUSTED_PROXIES` is the number of
reverse proxies in front of daphne. With 0 (the default) the socket peer is
the client and any `X-Forwarded-For` is ignored: anyone can write that
header. With N, the proxies' own entries are the N right-most ones (each
proxy appends the address it saw), so the client is the N-th from the right;
entries further left came from the client and are never believed. A request
that reached daphne without passing the proxies (no header, or too short a
chain) is counted by its socket peer.

daphne must run WITHOUT `--proxy-headers`: that option copies the left-most,
client-written entry into the socket address before this code can see it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from python_ipware import IpWare

UNKNOWN = "unknown"


def _resolver(trusted_proxies: int) -> IpWare:
    # python-ipware counts the hops right of the client in the header; the
    # last proxy is the socket peer, not in its own header, hence N - 1.
    return IpWare(precedence=("HTTP_X_FORWARDED_FOR",), proxy_count=trusted_proxies - 1)


def client_address(request: HttpRequest) -> str:
    """The client's address as text (IPv4 or IPv6), or "unknown"."""
    peer = request.META.get("REMOTE_ADDR") or UNKNOWN
    trusted_proxies = settings.VILLAGE_TRUSTED_PROXIES
    if trusted_proxies <= 0:
        return peer
    ip, trusted_route = _resolver(trusted_proxies).get_client_ip(request.META)
    if ip is None or not trusted_route:
        return peer
    return str(ip)
