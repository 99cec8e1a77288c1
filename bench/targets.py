"""The servers under test, each in its own process(es) on a free port.

- `village`: Village's ASGI application under daphne (or uvicorn), one or
  more processes behind the same Redis, on the bench database;
- `relay`: the bare Channels consumer (bench/baselines/relay.py) under the
  same server and channel layer: the ceiling of the stack;
- `websockets`: the bare asyncio broadcast server: the ceiling of Python.

Each target reports the memory and CPU of its processes (psutil), so the
figures say what the server used, beside what the generator used.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "bench" / "results" / "logs"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Process:
    command: list[str]
    env: dict[str, str]
    log_name: str
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen | None = None

    def start(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        log = (LOGS / f"{self.log_name}.log").open("w")
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_listening(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.log_name} exited; see {LOGS / self.log_name}.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.log_name} did not listen within {timeout} s")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None


def _server_command(server: str, app: str) -> list[str]:
    if server == "daphne":
        return [
            sys.executable, "-m", "daphne", "--websocket_connect_timeout", "30", "-v", "0",
            "-b", "127.0.0.1", "-p", "{port}", app,
        ]  # fmt: skip
    if server == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", "{port}",
            "--ws", "websockets", "--ws-max-size", "16384", "--no-access-log",
            "--lifespan", "off", "--log-level", "warning",
        ]  # fmt: skip
    raise ValueError(f"unknown server {server!r}")


@dataclass
class Target:
    """One kind of server, in `processes` processes; clients are spread over them."""

    name: str
    processes: list[Process]
    path: str = "/ws/chat/"

    def start(self) -> Target:
        for process in self.processes:
            process.start()
        for process in self.processes:
            process.wait_listening()
        self._ps = [psutil.Process(p.popen.pid) for p in self.processes]
        return self

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    def url(self, n: int) -> str:
        """The socket URL for the n-th client (round robin over the processes)."""
        return f"ws://127.0.0.1:{self.processes[n % len(self.processes)].port}{self.path}"

    def origin(self, n: int) -> str:
        return f"http://127.0.0.1:{self.processes[n % len(self.processes)].port}"

    def rss(self) -> int:
        """Resident memory of all the target's processes, in bytes."""
        return sum(p.memory_info().rss for p in self._ps)

    def cpu_seconds(self) -> float:
        return sum(sum(p.cpu_times()[:2]) for p in self._ps)

    @property
    def alive(self) -> bool:
        return all(process.alive for process in self.processes)

    def profile(self, folder: Path) -> list[subprocess.Popen]:
        """Start py-spy on each process (stop it with SIGINT): raw samples of the GIL holder."""
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%H%M%S")
        return [
            subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("py-spy")),
                    "record",
                    "--nonblocking",
                    "--gil",
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--pid",
                    str(p.popen.pid),
                    "--output",
                    str(folder / f"{self.name}-{n}-{stamp}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for n, p in enumerate(self.processes)
        ]


def village(
    *, database_url: str, redis_url: str, server: str = "daphne", processes: int = 1,
    layer: str = "pubsub", name: str = "village", extra_env: dict[str, str] | None = None,
) -> Target:  # fmt: skip
    env = {
        **os.environ,
        "VILLAGE_ENV": "demo",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "VILLAGE_REDIS_PREFIX": "bench",
        "VILLAGE_CHANNEL_LAYER": layer,
        # Members take turns in a room, so nobody passes the real limit of 5
        # per 5 s at one message per room per 200 ms in rooms of 5 or more;
        # 1:1 pairs send faster than people type. The Redis check still runs.
        "VILLAGE_SEND_RATE_COUNT": "1000",
        "VILLAGE_PERIODIC_IN_WEB": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
        **(extra_env or {}),
    }
    command = _server_command(server, "village.asgi:application")
    return Target(
        name=name,
        processes=[Process(command, env, f"{name}-{n}") for n in range(processes)],
    )


def relay(*, redis_url: str, server: str = "daphne", processes: int = 1, layer: str = "pubsub"):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.baselines.relay_settings",
        "REDIS_URL": redis_url,
        "BENCH_LAYER": layer,
        "PYTHONPATH": str(ROOT),
    }
    command = _server_command(server, "bench.baselines.relay:application")
    return Target(
        name="relay",
        processes=[Process(command, env, f"relay-{n}") for n in range(processes)],
    )


def bare_websockets() -> Target:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable, "-m", "bench.baselines.ws_broadcast", "--host", "127.0.0.1",
        "--port", "{port}",
    ]  # fmt: skip
    return Target(name="websockets", processes=[Process(command, env, "websockets")])
