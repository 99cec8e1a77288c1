"""Drive the demo accounts through a group session over real sockets.

Against a running Village seeded with `seed_demo` (for example `make run`):

    python bench/demo_session.py --url http://127.0.0.1:8000 --password village-demo

Val (lead volunteer) opens the Thursday group's session, Amy and Beth join
and talk, everyone sees every message, and Val closes the session. It logs
in through the real login page and prints what each person saw.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request
import uuid

import websockets

GROUP = "Thursday evening group"


def log_in(base_url: str, email: str, password: str) -> str:
    """Log in through the login page; returns the session cookie's value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base_url}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "login": email, "password": password}
    ).encode()
    request = urllib.request.Request(
        f"{base_url}/accounts/login/", data=data, headers={"Referer": f"{base_url}/accounts/login/"}
    )
    opener.open(request).read()
    session = next((c.value for c in jar if c.name == "sessionid"), None)
    if session is None:
        raise SystemExit(f"could not log in as {email}")
    return session


class Person:
    def __init__(self, name: str, socket):
        self.name = name
        self.socket = socket
        self.seen: list[str] = []

    async def send(self, frame: dict) -> None:
        await self.socket.send(json.dumps(frame))

    async def next(self, kind: str, timeout: float = 10) -> dict:
        async def wait():
            while True:
                frame = json.loads(await self.socket.recv())
                if frame["type"] == "message":
                    author = frame["message"]["author"]["display_name"]
                    if author != self.name:
                        self.seen.append(f"{author}: {frame['message']['body']}")
                if frame["type"] == kind:
                    return frame

        return await asyncio.wait_for(wait(), timeout)


async def connect(base_url: str, name: str, session: str) -> tuple[Person, dict]:
    socket = await websockets.connect(
        base_url.replace("http", "ws", 1) + "/ws/chat/",
        additional_headers={"Cookie": f"sessionid={session}", "Origin": base_url},
    )
    person = Person(name, socket)
    hello = await person.next("hello")
    return person, hello


async def run_session(base_url: str, password: str) -> dict[str, list[str]]:
    """The scripted session; returns the others' messages each person saw arrive."""
    sessions = {
        name: log_in(base_url, f"{email}@example.org", password)
        for name, email in (("Val", "volunteer"), ("Amy", "mum"), ("Beth", "mum2"))
    }
    people = {}
    room_id = None
    for name, session in sessions.items():
        people[name], hello = await connect(base_url, name, session)
        room_id = next(r["id"] for r in hello["rooms"] if r["name"] == GROUP)
    val, amy, beth = people["Val"], people["Amy"], people["Beth"]
    for person in people.values():
        await person.send({"type": "join", "room": room_id})
        await person.next("joined")
    await val.send({"type": "session", "room": room_id, "action": "close"})
    for person in people.values():
        await person.next("session")
    await val.send({"type": "session", "room": room_id, "action": "open"})
    for person in people.values():
        assert (await person.next("session"))["open"] is True
    script = [
        (val, "Welcome back, everyone. How are you both doing tonight?"),
        (amy, "Better than last week. The baby slept four hours straight!"),
        (beth, "That's brilliant, Amy. I'm hanging in there."),
    ]
    for person, body in script:
        await person.send(
            {"type": "send", "room": room_id, "client_id": str(uuid.uuid4()), "body": body}
        )
        await person.next("ack")
        for other in people.values():
            if other is not person:
                await other.next("message")
    await val.send({"type": "session", "room": room_id, "action": "close"})
    for person in people.values():
        assert (await person.next("session"))["open"] is False
        await person.socket.close()
    return {name: person.seen for name, person in people.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--password", default="village-demo")
    args = parser.parse_args()
    seen = asyncio.run(run_session(args.url.rstrip("/"), args.password))
    for name, lines in seen.items():
        print(f"{name} saw:")
        for line in lines:
            print(f"  {line}")
    sys.exit(0)


if __name__ == "__main__":
    main()
