"""Cross-site WebSocket hijacking: crafted handshakes against the real ASGI application.

Every crafted handshake (a foreign or malformed Origin, or a login that is not a
live login of an active person allowed a socket) must be refused: the socket
never opens. A correct handshake, the control, must open and say `hello`.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.models import User
from moderation.services import suspend_account
from tests.conftest import make_member
from tests.sockets import close_socket_test_connections, mint_session
from village.asgi import application
from village.dbwork import in_db_thread

pytestmark = pytest.mark.django_db(transaction=True)

GOOD_ORIGIN = b"http://localhost"

# Origins a foreign page (or a hand-made client posing as one) might send. The
# socket's login is valid in all of them, so only the Origin check stands between.
FOREIGN_ORIGINS: list[tuple[str, list[bytes]]] = [
    ("foreign https", [b"https://evil.example"]),
    ("foreign http", [b"http://evil.example"]),
    ("foreign with port", [b"https://evil.example:443"]),
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


async def try_handshake(headers: list[tuple[bytes, bytes]]) -> tuple[bool, dict | None]:
    """Connect; return whether the socket opened and, if so, its first frame."""
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
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
            (f"origin: {label}", [session_cookie(mum_key)] + [(b"origin", o) for o in origins])
            for label, origins in FOREIGN_ORIGINS
        ]
        for label, cookie in await crafted_login_cases(mum, coordinator, coordinator_without_mfa):
            headers = [(b"origin", GOOD_ORIGIN)] + ([cookie] if cookie else [])
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
        controls = [b"http://localhost", b"http://127.0.0.1:8000", b"https://localhost"]
        for origin in controls:
            connected, first = await try_handshake([session_cookie(mum_key), (b"origin", origin)])
            assert connected, origin
            assert first["type"] == "hello" and first["user"]["id"] == mum.pk
        print(f"handshakes: {len(controls)} correct ones, {len(controls)} accepted")
    finally:
        await close_socket_test_connections()
