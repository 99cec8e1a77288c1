"""Cross-site WebSocket hijacking: crafted handshakes against the real ASGI application.

Every crafted handshake (a foreign or malformed Origin, or a login that is not a
live login of an active person allowed a socket) must be refused: the socket
never opens. A correct handshake, the control, must open and say `hello`.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from importlib import import_module

import pytest
import websockets
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.models import User
from infra.dbwork import in_db_thread
from moderation.services import suspend_account
from tests.conftest import make_member
from tests.servers import DaphneServer, documented_daphne_options
from tests.sockets import close_socket_test_connections, mint_session
from village.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

GOOD_ORIGIN = b"http://localhost"
# Every handshake here is made to this Host over plain ws, so GOOD_ORIGIN is its origin.
HOST = (b"host", b"localhost")

# Origins a foreign page (or a hand-made client posing as one) might send. The
# socket's login is valid in all of them, so only the Origin check stands between.
FOREIGN_ORIGINS: list[tuple[str, list[bytes]]] = [
    ("foreign https", [b"https://evil.example"]),
    ("foreign http", [b"http://evil.example"]),
    ("foreign with port", [b"https://evil.example:443"]),
    ("another service on the same host (other port)", [b"http://localhost:8000"]),
    ("the other scheme (https to an http site)", [b"https://localhost"]),
    ("the default port spelled out", [b"http://localhost:80"]),
    ("allowed host as a subdomain", [b"http://localhost.evil.example"]),
    ("allowed host as a prefix", [b"http://evil-localhost"]),
    ("allowed IP as a subdomain", [b"http://127.0.0.1.evil.example"]),
    ("allowed host as userinfo", [b"http://localhost:8000@evil.example"]),
    ("foreign userinfo before an allowed host", [b"http://evil.example@localhost"]),
    ("backslash parser differential", [b"http://evil.example\\@localhost"]),
    ("fragment parser differential", [b"http://evil.example#@localhost"]),
    ("uppercase foreign host", [b"HTTP://LOCALHOST.EVIL.EXAMPLE"]),
    ("trailing-dot foreign host", [b"http://evil.example."]),
    ("trailing-dot allowed host", [b"http://localhost."]),
    ("trailing-dot allowed IP", [b"http://127.0.0.1."]),
    ("cyrillic o look-alike (UTF-8)", ["http://lоcalhost".encode()]),
    ("cyrillic o look-alike (punycode)", [b"http://" + "lоcalhost".encode("idna")]),
    ("fullwidth look-alike (UTF-8)", ["http://ｌｏｃａｌｈｏｓｔ".encode()]),
    ("latin-1 look-alike", [b"http://localh\xf4st"]),
    ("no-break space after the host", [b"http://localhost\xa0"]),
    ("short IPv4 form", [b"http://127.1"]),
    ("decimal IPv4 form", [b"http://2130706433"]),
    ("hex IPv4 form", [b"http://0x7f.0.0.1"]),
    ("IPv4-mapped IPv6", [b"http://[::ffff:127.0.0.1]"]),
    ("percent-encoded dot", [b"http://localhost%2eevil.example"]),
    ("tab inside the host", [b"http://local\thost"]),
    ("NUL before the scheme", [b"\x00http://localhost"]),
    ("path after the host", [b"http://localhost/evil"]),
    ("websocket scheme", [b"ws://localhost"]),
    ("file scheme", [b"file://localhost"]),
    ("foreign scheme", [b"evil://localhost"]),
    ("no scheme", [b"localhost"]),
    ("wildcard host", [b"http://*.localhost"]),
    ("missing Origin", []),
    ("null Origin", [b"null"]),
    ("empty Origin", [b""]),
    ("two Origins, the allowed one last", [b"https://evil.example", GOOD_ORIGIN]),
    ("two Origins, the allowed one first", [GOOD_ORIGIN, b"https://evil.example"]),
]


def cookie_header(value: str) -> tuple[bytes, bytes]:
    return (b"cookie", value.encode("latin1"))


def session_cookie(key: str) -> tuple[bytes, bytes]:
    return cookie_header(f"{settings.SESSION_COOKIE_NAME}={key}")


async def try_handshake(
    headers: list[tuple[bytes, bytes]], *, scheme: str = "ws"
) -> tuple[bool, dict | None]:
    """Connect; return whether the socket opened and, if so, its first frame."""
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    communicator.scope["scheme"] = scheme
    connected, _ = await communicator.connect(timeout=5)
    first = None
    if connected:
        first = await communicator.receive_json_from(timeout=5)
    await communicator.disconnect(timeout=5)
    return connected, first


# --- sessions that must not open a socket (made synchronously, on a database thread) --


def session_store(**data) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for name, value in data.items():
        store[name] = value
    store.create()
    return store.session_key


def expired_session(user) -> str:
    key = mint_session(user)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    return key


def suspended_session(coordinator) -> str:
    sue = make_member("sue@example.net", "Sue")
    key = mint_session(sue)
    suspend_account(actor=coordinator, member=sue, reason="hijack test")
    return key


def logged_out_session(user) -> str:
    client = Client()
    client.force_login(user)
    key = client.session.session_key
    client.logout()
    return key


def stale_password_session() -> str:
    pat = make_member("pat@example.net", "Pat")
    key = mint_session(pat)
    pat.set_password("a brand new passphrase")
    pat.save()
    return key


def anonymised_session() -> str:
    ann = make_member("ann@example.net", "Ann")
    key = mint_session(ann)
    User.objects.filter(pk=ann.pk).update(anonymised_at=timezone.now(), is_active=True)
    return key


def superuser_without_mfa_session() -> str:
    root = User.objects.create_superuser(email="root@example.net", password="x" * 20)
    return mint_session(root)


def session_of_nobody() -> str:
    return session_store(**{SESSION_KEY: "987654321"})


def session_without_login() -> str:
    return session_store(visited=True)


async def crafted_login_cases(mum, coordinator, coordinator_without_mfa):
    """(label, cookie header or None) for logins that must not open a socket."""
    run = in_db_thread
    mum_key = await run(mint_session)(mum)
    return [
        ("valid Origin, no cookie", None),
        ("garbage cookie", session_cookie("garbage")),
        ("well-formed key of no session", session_cookie("a" * 32)),
        ("cookie with no value", session_cookie("")),
        ("unparseable cookie header", cookie_header("\x00;;=;=sessionid")),
        ("session key under another cookie name", cookie_header(f"csrftoken={mum_key}")),
        ("expired session", session_cookie(await run(expired_session)(mum))),
        ("suspended person", session_cookie(await run(suspended_session)(coordinator))),
        ("logged-out session", session_cookie(await run(logged_out_session)(mum))),
        ("password changed since login", session_cookie(await run(stale_password_session)())),
        ("anonymised person", session_cookie(await run(anonymised_session)())),
        ("session of a user that does not exist", session_cookie(await run(session_of_nobody)())),
        ("session with no login in it", session_cookie(await run(session_without_login)())),
        (
            "coordinator without MFA",
            session_cookie(await run(mint_session)(coordinator_without_mfa)),
        ),
        ("admin without MFA", session_cookie(await run(superuser_without_mfa_session)())),
    ]


async def test_crafted_handshakes_are_all_refused_and_a_correct_one_opens(
    mum, coordinator, coordinator_without_mfa
):
    try:
        mum_key = await in_db_thread(mint_session)(mum)
        cases: list[tuple[str, list[tuple[bytes, bytes]]]] = [
            (
                f"origin: {label}",
                [session_cookie(mum_key), HOST] + [(b"origin", o) for o in origins],
            )
            for label, origins in FOREIGN_ORIGINS
        ]
        for label, cookie in await crafted_login_cases(mum, coordinator, coordinator_without_mfa):
            headers = [(b"origin", GOOD_ORIGIN), HOST] + ([cookie] if cookie else [])
            cases.append((f"login: {label}", headers))

        accepted = []
        for label, headers in cases:
            connected, first = await try_handshake(headers)
            if connected:
                accepted.append((label, headers, first))
        print(f"handshakes: {len(cases)} crafted, {len(accepted)} accepted")
        assert len(cases) >= 30
        assert [label for label, _, _ in accepted] == []

        # The controls: the same login with an allowed Origin opens and says hello,
        # so the refusals above are the checks at work and not a broken socket.
        controls = [
            (b"localhost", "ws", b"http://localhost"),
            (b"127.0.0.1:8000", "ws", b"http://127.0.0.1:8000"),
            (b"localhost", "wss", b"https://localhost"),
        ]
        for host, scheme, origin in controls:
            connected, first = await try_handshake(
                [session_cookie(mum_key), (b"host", host), (b"origin", origin)], scheme=scheme
            )
            assert connected, origin
            assert first["type"] == "hello" and first["user"]["id"] == mum.pk
        print(f"handshakes: {len(controls)} correct ones, {len(controls)} accepted")
    finally:
        await close_socket_test_connections()


ORIGIN_CASES = [
    # (what, Host, socket scheme, X-Forwarded-Proto, Origin, opens)
    ("the page's own origin", "127.0.0.1:8001", "ws", None, "http://127.0.0.1:8001", True),
    ("another port on the host", "127.0.0.1:8001", "ws", None, "http://127.0.0.1:8000", False),
    ("no port: another service", "127.0.0.1:8001", "ws", None, "http://127.0.0.1", False),
    ("https to a plain-ws socket", "127.0.0.1:8001", "ws", None, "https://127.0.0.1:8001", False),
    ("http to a wss socket", "localhost", "wss", None, "http://localhost", False),
    ("https to a wss socket", "localhost", "wss", None, "https://localhost", True),
    ("a Host not allowed", "evil.example", "ws", None, "http://evil.example", False),
    ("no Host at all", None, "ws", None, "http://localhost", False),
    ("a trusted origin", "localhost", "ws", None, "https://village.example.org", True),
    (
        "a trusted origin's other scheme",
        "localhost",
        "ws",
        None,
        "http://village.example.org",
        False,
    ),
    (
        "a trusted origin's other port",
        "localhost",
        "ws",
        None,
        "https://village.example.org:8443",
        False,
    ),
    ("a trusted wildcard's subdomain", "localhost", "ws", None, "https://team.example.net", True),
    (
        "a trusted wildcard's other scheme",
        "localhost",
        "ws",
        None,
        "http://team.example.net",
        False,
    ),
    (
        "TLS at the proxy: https",
        "village.example.org",
        "ws",
        "https",
        "https://village.example.org",
        True,
    ),
    (
        "TLS at the proxy: http",
        "village.example.org",
        "ws",
        "https",
        "http://village.example.org",
        False,
    ),
    (
        "plain proxy, https claimed",
        "localhost",
        "ws",
        "http",
        "https://localhost",
        False,
    ),
]


async def test_the_origin_must_be_the_handshakes_own_scheme_host_and_port_or_trusted(mum, settings):
    """As Django's CSRF check: the full origin, not only the host name (issue 14)."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "village.example.org"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://village.example.org", "https://*.example.net"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    try:
        mum_key = await in_db_thread(mint_session)(mum)
        outcomes = []
        for what, host, scheme, proto, origin, _ in ORIGIN_CASES:
            headers = [session_cookie(mum_key), (b"origin", origin.encode())]
            headers += [(b"host", host.encode())] if host else []
            headers += [(b"x-forwarded-proto", proto.encode())] if proto else []
            connected, first = await try_handshake(headers, scheme=scheme)
            assert not connected or first["type"] == "hello", what
            outcomes.append((what, connected))
        print(f"\norigins: {outcomes}")
        assert outcomes == [(case[0], case[-1]) for case in ORIGIN_CASES]
    finally:
        await close_socket_test_connections()


async def real_handshake(server: DaphneServer, session_key: str, origin: str) -> bool:
    """Whether a real socket with this Origin opens and says hello."""
    try:
        socket = await websockets.connect(
            server.url.replace("http", "ws", 1) + "/ws/chat/",
            additional_headers={
                "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}",
                "Origin": origin,
            },
            open_timeout=10,
            proxy=None,
        )
    except websockets.InvalidStatus:
        return False
    try:
        return json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "hello"
    finally:
        await socket.close()


def test_a_real_daphne_refuses_another_port_and_scheme_and_opens_the_own_and_trusted(tmp_path, mum):
    key = mint_session(mum)
    server = DaphneServer(
        mail_dir=tmp_path,
        log_path=tmp_path / "daphne.log",
        extra_env={"DJANGO_CSRF_TRUSTED_ORIGINS": "https://village.example.org"},
        daphne_options=documented_daphne_options(),
    ).start()
    other_port = 8000 if server.port != 8000 else 8001
    origins = {
        "its own origin": (server.url, True),
        "another service on the host": (f"http://127.0.0.1:{other_port}", False),
        "the host without a port": ("http://127.0.0.1", False),
        "https instead of http": (server.url.replace("http", "https", 1), False),
        "a trusted origin": ("https://village.example.org", True),
    }
    try:

        async def scenario() -> dict[str, bool]:
            return {
                what: await real_handshake(server, key, origin)
                for what, (origin, _) in origins.items()
            }

        opened = asyncio.run(scenario())
    finally:
        server.stop()
    print(f"\nreal daphne, origins: {opened}")
    assert opened == {what: expected for what, (_, expected) in origins.items()}
