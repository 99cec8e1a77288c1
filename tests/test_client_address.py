"""Per-address limits count the real client, not what she wrote in X-Forwarded-For.

The attack (issue 14): daphne ran with `--proxy-headers`, which believes the
left-most X-Forwarded-For entry, so a new forged address per request made 60
urgent referrals and unlimited login guesses look like 60 different people.
These tests run the real daphne the way the Dockerfile does, and the real
Caddy with deploy/Caddyfile in front of it the way docker-compose does.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from django.test import RequestFactory

from infra.client_address import client_address
from tests.conftest import needs
from tests.intake.referrals import referral_data
from tests.servers import (
    ROOT,
    DaphneServer,
    documented_daphne_options,
    free_port,
    wait_until_listening,
)

REFER = "/refer/"
LOGIN = "/accounts/login/"


# --- the rule, in process -----------------------------------------------------------


def request_from(peer: str, forwarded_for: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **extra)


def test_without_trusted_proxies_the_socket_peer_is_the_client_whatever_the_header(settings):
    settings.VILLAGE_TRUSTED_PROXIES = 0
    assert client_address(request_from("192.0.2.10", "203.0.113.99")) == "192.0.2.10"
    assert client_address(request_from("192.0.2.10")) == "192.0.2.10"


def test_behind_one_proxy_the_entry_it_wrote_is_the_client_and_forged_ones_are_ignored(
    settings,
):
    settings.VILLAGE_TRUSTED_PROXIES = 1
    assert client_address(request_from("10.0.0.2", "203.0.113.5")) == "203.0.113.5"
    # An appending proxy: what the client wrote stays on the left.
    forged = request_from("10.0.0.2", "198.51.100.1, 203.0.113.5")
    assert client_address(forged) == "203.0.113.5"
    # Straight to daphne, bypassing the proxy: counted by the socket peer.
    assert client_address(request_from("10.0.0.9")) == "10.0.0.9"
    assert client_address(request_from("10.0.0.9", "not an address")) == "10.0.0.9"


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(settings):
    settings.VILLAGE_TRUSTED_PROXIES = 2
    chain = "198.51.100.1, 203.0.113.5, 10.0.0.1"
    assert client_address(request_from("10.0.0.2", chain)) == "203.0.113.5"
    assert client_address(request_from("10.0.0.2", "203.0.113.5")) == "10.0.0.2"


# --- over real servers --------------------------------------------------------------


class _HiddenInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""


class Visitor:
    """One person's browser, without redirects: cookies, the form's hidden
    fields, and the headers she chooses to send (forged ones included)."""

    def __init__(self, port: int, *, source: str = "127.0.0.1"):
        self.port = port
        self.source = source
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, body: str = "", headers: dict | None = None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.source, 0)
        )
        try:
            sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if body:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body.encode(), headers=sent)
            response = connection.getresponse()
            page = response.read().decode()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return response.status, page
        finally:
            connection.close()

    def submit(self, path: str, data: dict, *, forwarded_for: str) -> int:
        """Open the form at `path` and send it with `data`; the response's status."""
        status, page = self.request("GET", path, headers={"X-Forwarded-For": forwarded_for})
        assert status == 200, page[:500]
        parser = _HiddenInputs()
        parser.feed(page)
        status, self.last_page = self.request(
            "POST",
            path,
            body=urlencode({**parser.fields, **data}, doseq=True),
            headers={"X-Forwarded-For": forwarded_for},
        )
        return status


def urgent_referrals(port: int, *, count: int, source: str = "127.0.0.1") -> list[int]:
    """`count` urgent referrals, each from a new browser with a new forged address."""
    return [
        Visitor(port, source=source).submit(
            REFER,
            referral_data(screen_suicide_plan="yes"),
            forwarded_for=f"198.51.100.{n + 1}",
        )
        for n in range(count)
    ]


@pytest.fixture
def documented_daphne(tmp_path):
    """daphne with the Dockerfile's options and no trusted proxy (the default)."""
    servers = []

    def start(**env) -> DaphneServer:
        server = DaphneServer(
            mail_dir=tmp_path,
            log_path=tmp_path / f"daphne-{len(servers)}.log",
            extra_env={"VILLAGE_REFERRALS_PER_ADDRESS_PER_HOUR": "3", **env},
            daphne_options=documented_daphne_options(),
        )
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_forged_forwarded_for_does_not_lift_the_referral_limit_on_the_documented_daphne(
    documented_daphne,
):
    server = documented_daphne()
    statuses = urgent_referrals(server.port, count=5)
    print(f"\nforged X-Forwarded-For, 5 urgent referrals, limit 3: {statuses}")
    assert statuses == [302, 302, 302, 429, 429]


@pytest.mark.django_db(transaction=True)
def test_forged_forwarded_for_does_not_lift_the_login_limit_on_the_documented_daphne(
    documented_daphne,
):
    """Slow (about 6 s): each failed login runs the real password hasher."""
    server = documented_daphne()
    throttled = []
    for n in range(12):
        visitor = Visitor(server.port)
        visitor.submit(
            LOGIN,
            {"login": f"nobody{n}@example.net", "password": "guess"},
            forwarded_for=f"203.0.113.{n + 1}",
        )
        throttled.append("Too many failed login attempts" in visitor.last_page)
    print(f"\nforged X-Forwarded-For, 12 failed logins (10 a minute per address): {throttled}")
    assert throttled == [False] * 10 + [True, True]


@pytest.mark.django_db(transaction=True)
def test_the_trusted_proxys_entry_counts_and_what_the_client_wrote_before_it_does_not(
    documented_daphne,
):
    server = documented_daphne(VILLAGE_TRUSTED_PROXIES="1")
    statuses = [
        Visitor(server.port).submit(
            REFER, referral_data(), forwarded_for=f"198.51.100.{n + 1}, 203.0.113.50"
        )
        for n in range(4)
    ]
    other_client = Visitor(server.port).submit(
        REFER, referral_data(), forwarded_for="198.51.100.1, 203.0.113.51"
    )
    assert statuses == [302, 302, 302, 429]
    assert other_client == 302


# --- the documented deployment: Caddy in front of daphne -------------------------------


def compose_service(name: str) -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][name]


class CaddyServer:
    """deploy/Caddyfile on plain http (no certificate) in front of `upstream_port`."""

    def __init__(self, *, upstream_port: int, workdir: Path):
        self.port = free_port()
        self.log_path = workdir / "caddy.log"
        self.env = {
            **os.environ,
            "VILLAGE_DOMAIN": f"http://127.0.0.1:{self.port}",
            "VILLAGE_UPSTREAM": f"127.0.0.1:{upstream_port}",
            "CADDY_ADMIN_ADDRESS": f"127.0.0.1:{free_port()}",
            "XDG_DATA_HOME": str(workdir / "caddy-data"),
            "XDG_CONFIG_HOME": str(workdir / "caddy-config"),
        }

    def start(self) -> CaddyServer:
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                shutil.which("caddy"),
                "run",
                "--config",
                str(ROOT / "deploy" / "Caddyfile"),
                "--adapter",
                "caddyfile",
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until_listening(self.process, self.port, self.log_path)
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def caddy_in_front(documented_daphne, tmp_path):
    if not shutil.which("caddy"):
        needs("needs Caddy (apt-get install caddy) to run deploy/Caddyfile")
    web_env = compose_service("web")["environment"]
    server = documented_daphne(VILLAGE_TRUSTED_PROXIES=web_env["VILLAGE_TRUSTED_PROXIES"])
    caddy = CaddyServer(upstream_port=server.port, workdir=tmp_path).start()
    yield caddy
    caddy.stop()


@pytest.mark.django_db(transaction=True)
def test_behind_the_shipped_caddy_forged_addresses_are_overwritten_and_real_clients_counted(
    caddy_in_front,
):
    statuses = urgent_referrals(caddy_in_front.port, count=4, source="127.0.0.1")
    # Another machine (another loopback address) is a different client.
    other_machine = urgent_referrals(caddy_in_front.port, count=1, source="127.0.0.2")
    print(f"\nthrough Caddy, forged X-Forwarded-For: {statuses}; another client: {other_machine}")
    assert statuses == [302, 302, 302, 429]
    assert other_machine == [302]


def test_the_compose_deployment_publishes_only_the_proxy_and_trusts_exactly_it():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert services["proxy"]["image"].startswith("caddy")
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    assert services["web"]["environment"]["VILLAGE_TRUSTED_PROXIES"] == "1"
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "header_up X-Forwarded-For {remote_host}" in caddyfile
    for name in ("web", "periodic"):
        assert "--proxy-headers" not in str(services[name].get("command", "")), name
    assert "--proxy-headers" not in (ROOT / "Dockerfile").read_text().split("CMD", 1)[1]
