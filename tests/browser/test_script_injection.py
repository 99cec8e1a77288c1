"""Script injection: well-known XSS payloads typed everywhere people type, and nothing runs.

More than a hundred payloads from the usual lists (script tags, event handlers,
`javascript:` and `data:` URLs, attribute and tag break-outs, template
syntax, encoded and unicode variants, mXSS tricks, URLs carrying handlers)
become message bodies, display names, report notes, mute reasons, warnings,
ending notes, room names and rule terms, all through the services. Headless
Chromium then opens every page that shows them: the room page (messages,
who is online, who is typing, warnings), the room lists, the flags queue (and
its live refresh), the people pages, the audit log, the rules and "try a
message", the rooms and pairings pages, the profile, and search boxes that
echo what was searched for.

Execution is detected three ways on every page:

- an init script overrides alert, confirm, prompt and print to record into
  `window.__xss`, and records every Content-Security-Policy violation;
  `page.on("dialog")` catches anything that slips past;
- the staff pages are opened with `bypass_csp`, so that the policy cannot
  hide an escaping bug (a payload that became markup would really run); the
  members' pages keep the policy, so a blocked injection shows up as a
  violation;
- the DOM is searched for markup the app never makes itself: inline scripts,
  event-handler attributes, `javascript:`/`data:` URLs, iframes, images, SVG...

And the text shown is exactly what was typed (message bodies, display names,
room names, rule terms, the "try a message" echo), so nothing was eaten
either. Every HTML response must carry a Content-Security-Policy whose
script-src does not allow 'unsafe-inline'.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
import uuid
from collections import Counter, defaultdict
from urllib.parse import urlencode

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts import services as account_services
from accounts.models import Role, User
from chat import services as chat_services
from chat.models import Message, Pairing
from moderation import services as moderation_services
from moderation.models import Flag, Level, Rule
from tests.conftest import activate_totp, make_member, make_person
from volunteers.views import ENDED_PAIRINGS_SHOWN

# The well-known list. "(1)" becomes a number of its own in each payload (see
# PAYLOADS), so that anything that runs says which payload it was.
WELL_KNOWN = [
    # script tags
    "<script>alert(1)</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script >alert(1)</script >",
    "<script src=data:text/javascript,alert(1)></script>",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    "<script\x20type='text/javascript'>alert(1);</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>alert(1)//<</script>",
    "<script>/*</script><img src=x onerror=alert(1)>*/</script>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><script href=data:,alert(1) />",
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src=x onerror="alert(1)">',
    "<IMG SRC=x OnErRoR=alert(1)>",
    "<img src=x onerror=alert`1`>",
    "<img/src=x/onerror=alert(1)>",
    "<img src onerror=alert(1)>",
    "<img src=x onerror=alert(1)",
    "<img src=x onerror=confirm(1)>",
    "<img src=x onerror=prompt(1)>",
    "<img src=x onerror=window['al'+'ert'](1)>",
    "<img src=x onerror=top[8680439..toString(30)](1)>",
    "<img src=x onerror=eval(atob('YWxlcnQoMSk='))>",
    r"<img src=x onerror=\u0061lert(1)>",
    "<img src=x onerror=&#97;lert(1)>",
    "<img src=x:alert(alt) onerror=eval(src) alt=1>",
    '<img src="https://example.com/x.png" onload="alert(1)">',
    "<svg/onload=alert(1)>",
    "<svg onload=alert(1)//",
    "<svg onload=__xss.push(1)>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    '<div onmouseover="alert(1)">hover me</div>',
    "<x onclick=alert(1)>click me",
    "<style onload=alert(1)></style>",
    "<body onpageshow=alert(1)>",
    "<object onerror=alert(1)>",
    # javascript: and data: URLs
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "javascript://%0aalert(1)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">y</a>',
    '<a href="java&#x09;script:alert(1)">z</a>',
    '<a href=" javascript:alert(1)">space</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<iframe src=javascript:alert(1)>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<iframe srcdoc="&lt;img src=x onerror=alert(1)&gt;">',
    '<object data="javascript:alert(1)">',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<button formaction=javascript:alert(1)>x</button>",
    "<isindex action=javascript:alert(1) type=image>",
    '<table background="javascript:alert(1)">',
    '<svg><a xlink:href="javascript:alert(1)"><text x=20 y=20>XSS</text></a></svg>',
    '<math><a xlink:href="javascript:alert(1)">m</a></math>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel=stylesheet href="javascript:alert(1)">',
    "<style>@import 'javascript:alert(1)';</style>",
    '<div style="background:url(javascript:alert(1))">',
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">d</a>',
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    "[x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    # breaking out of attributes, strings and elements
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'-alert(1)-'",
    '"-alert(1)-"',
    "';alert(1)//",
    '\\";alert(1);//',
    '"onfocus="alert(1)" autofocus="',
    "' onfocus='alert(1)' autofocus='",
    '" onmouseover=alert(1) x="',
    "</script><script>alert(1)</script>",
    "</script><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "</noscript><img src=x onerror=alert(1)>",
    "</option></select><img src=x onerror=alert(1)>",
    "--><script>alert(1)</script>",
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "<![CDATA[<script>alert(1)</script>]]>",
    "]]><script>alert(1)</script>",
    # template syntax (server and client side)
    "{{7*7}}",
    "{{constructor.constructor('alert(1)')()}}",
    "${alert(1)}",
    "`${alert(1)}`",
    "#{alert(1)}",
    "<%= alert(1) %>",
    "{% debug %}{{ request.user.password }}",
    "{{'a'.constructor.prototype.charAt=[].join;$eval('x=alert(1)');}}",
    "<div ng-app ng-csp>{{$on.constructor('alert(1)')()}}</div>",
    # encoded and unicode variants
    "&#x3C;script&#x3E;alert(1)&#x3C;/script&#x3E;",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    r"\u003cscript\u003ealert(1)\u003c/script\u003e",
    r"\x3cscript\x3ealert(1)\x3c/script\x3e",
    "＜script＞alert(1)＜/script＞",
    "<scr\u200bipt>alert(1)</scr\u200bipt>",
    "\u2028alert(1)\u2029",
    "\t<script>\talert(1)\t</script>",
    "<img src=x onerror=alert(1)>\n<b>on a new line</b>",
    # mXSS: markup that changes meaning when parsed twice
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    # URLs that carry handlers (the chat makes links of http(s) URLs)
    'https://example.com/"onmouseover="alert(1)',
    "https://example.com/ onmouseover=alert(1)",
    'https://example.com/?q="><script>alert(1)</script>',
    "https://www.nhs.uk/'onmouseover='alert(1)'",
    "http://x.co/#<img src=x onerror=alert(1)>",
    "www.example.com/<svg/onload=alert(1)>",
    '<a href="https://example.com" onmouseover="alert(1)">link</a>',
]


def _numbered(payloads: list[str]) -> list[str]:
    return [p.replace("(1)", f"({1000 + i})") for i, p in enumerate(payloads)]


PAYLOADS = _numbered(WELL_KNOWN)

DISPLAY_NAME_MAX = 40
ROOM_NAME_MAX = 80
RULE_TERM_MAX = 120
ONLINE = 3  # members who keep the room open, to be seen online and typing
NOTES_PER_ENDING = 4  # payloads in each note of an ended pairing
REPORTERS = 4  # reports (with their notes) on each reported message
SETTLE_MS = 150  # time for handlers of anything injected to fire after a page settles
DESKTOP = {"width": 1280, "height": 900}

# The coordinator, volunteers and the main room are named with payloads too.
# Room names of 1:1 chats are "<member> & <volunteer>" in at most 80 characters,
# so the volunteers' names stay short enough for the members' 40.
CORA = '"><svg/onload=alert(2001)>'
VAL_A = "<img src=x onerror=alert(2002)>"
VAL_B = "</title><script>alert(2003)</script>"
MAIN_ROOM = "</title><script>alert(2004)</script><img src=x onerror=alert(2005)>"

HOOK = """
(() => {
  const hits = [];
  let sink = hits;
  try { if (window.top !== window && window.top.__xss) { sink = window.top.__xss; } } catch (e) {}
  Object.defineProperty(window, "__xss", { value: sink, writable: false, configurable: false });
  const record = (kind, answer) => function (what) {
    sink.push(kind + ": " + String(what));
    return answer;
  };
  window.alert = record("alert", undefined);
  window.confirm = record("confirm", false);
  window.prompt = record("prompt", null);
  window.print = record("print", undefined);
  document.addEventListener("securitypolicyviolation", (e) => {
    sink.push("csp violation: " + e.violatedDirective + " " + (e.sample || e.blockedURI || ""));
  });
})();
"""

# Markup the app never makes itself; finding any means a payload became markup.
DOM_SCAN = """
() => {
  const found = [];
  const foreign = new Set(["img", "svg", "math", "iframe", "object", "embed", "frame", "frameset",
    "base", "video", "audio", "source", "marquee", "xmp", "listing", "style", "isindex", "x", "b",
    "plaintext", "animate", "applet", "image", "mglyph", "mtext"]);
  const urlAttrs = new Set(["href", "src", "action", "formaction", "data", "xlink:href",
    "background", "poster", "codebase", "srcdoc"]);
  for (const el of document.getElementsByTagName("*")) {
    const tag = el.localName.toLowerCase();
    if (foreign.has(tag)) { found.push("<" + tag + ">"); }
    if (tag === "script" && !(el.getAttribute("src") || "").startsWith("/static/")) {
      found.push("<script> not from /static/: " + el.outerHTML.slice(0, 80));
    }
    if (tag === "meta" && el.hasAttribute("http-equiv")) { found.push("<meta http-equiv>"); }
    const icon = el.rel === "icon" && el.getAttribute("href") === "data:,";
    if (tag === "link" && !(el.rel === "stylesheet" || icon)) {
      found.push("<link rel=" + el.rel + ">");
    }
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\u0000-\\u0020]/g, "").toLowerCase();
      if (name.startsWith("on")) { found.push("<" + tag + " " + name + ">"); }
      if (["srcdoc", "style", "xlink:href"].includes(name) || name.startsWith("ng-")) {
        found.push("<" + tag + " " + name + ">");
      }
      if (urlAttrs.has(name) && /^(javascript|vbscript|data):/.test(value) && value !== "data:,") {
        found.push("<" + tag + " " + name + "=" + value.slice(0, 40) + ">");
      }
    }
  }
  return found;
}
"""


def norm(text: str) -> str:
    """Text as a page shows it where white space is not preserved."""
    return " ".join(text.split())


def fit(text: str, limit: int) -> str:
    return norm(text)[:limit].strip()


def script_src(policy: str) -> str | None:
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = " ".join(words[1:])
    return directives.get("script-src", directives.get("default-src"))


class Tally:
    """What the test saw, over every browser: page loads, HTML responses, problems."""

    def __init__(self) -> None:
        self.page_loads = 0
        self.html_responses = 0
        self.places: dict[str, set[str]] = defaultdict(set)
        self.problems: list[str] = []

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def shown(self, place: str, expected: list[str], shown: list[str], *, where: str) -> None:
        """Each expected text is shown exactly, once or more, in `shown`."""
        missing = [e for e in expected if e not in shown]
        for text in missing[:5]:
            near = [s for s in shown if s and (s in text or text in s)]
            self.problem(f"{where}: {place}: {text!r} is not shown as typed (near: {near[:2]!r})")
        if len(missing) > 5:
            self.problem(f"{where}: {place}: {len(missing) - 5} more texts not shown as typed")
        self.places[place] |= set(expected) - set(missing)

    def contained(self, place: str, expected: list[str], page_text: str, *, where: str) -> None:
        """Each expected text appears in the page's text (white space normalised)."""
        text = norm(page_text)
        self.shown(
            place,
            [norm(e) for e in expected],
            [e for e in map(norm, expected) if e in text],
            where=where,
        )


class Watcher:
    """One browser tab, with everything that could show a script running."""

    def __init__(self, page, who: str, tally: Tally) -> None:
        self.page = page
        self.who = who
        self.tally = tally
        self.dialogs: list[str] = []
        self.responses = []
        self.frames: list[dict] = []
        page.on("dialog", self._dialog)
        page.on("response", self._response)
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _response(self, response) -> None:
        self.responses.append(response)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _frame(self, payload) -> None:
        with contextlib.suppress(TypeError, ValueError):
            self.frames.append(json.loads(payload))

    def frames_of(self, kind: str) -> list[dict]:
        return [f for f in self.frames if isinstance(f, dict) and f.get("type") == kind]

    def wait_for(self, condition, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.who}: gave up waiting for {what}")
            self.page.wait_for_timeout(50)

    def visit(self, url: str, where: str, ready=None) -> None:
        self.frames.clear()
        self.page.goto(url)
        self.loaded(where, ready)

    def loaded(self, where: str, ready=None) -> None:
        """A page has loaded (by a link, a form or goto): let it settle, then look."""
        self.tally.page_loads += 1
        self.page.wait_for_load_state("load")
        if ready is not None:
            ready(self.page)
        self.check(where)

    def check(self, where: str) -> None:
        where = f"{self.who} on {where}"
        self.page.wait_for_timeout(SETTLE_MS)
        for hit in self.page.evaluate("() => window.__xss.slice()"):
            self.tally.problem(f"{where}: executed: {hit}")
        for dialog in self.dialogs:
            self.tally.problem(f"{where}: dialog: {dialog}")
        self.dialogs.clear()
        for found in sorted(set(self.page.evaluate(DOM_SCAN))):
            self.tally.problem(f"{where}: injected markup: {found}")
        self.check_responses()

    def canary(self, expected: str) -> None:
        """Inject markup on purpose: the detectors must see it (else this test proves nothing)."""
        page = self.page
        page.evaluate(
            """() => {
                const box = document.createElement("div");
                box.id = "xss-canary";
                box.innerHTML = "<img src=x onerror=alert(42)>";
                document.body.appendChild(box);
            }"""
        )
        page.wait_for_function("() => window.__xss.length > 0", timeout=5_000)
        hits = page.evaluate("() => window.__xss.slice()")
        found = page.evaluate(DOM_SCAN)
        assert any(expected in hit for hit in hits), hits
        assert "<img>" in found and "<img onerror>" in found, found
        page.evaluate("() => { document.getElementById('xss-canary').remove(); }")
        page.evaluate("() => { window.__xss.length = 0; }")

    def check_responses(self) -> None:
        responses, self.responses[:] = list(self.responses), []
        for response in responses:
            # Documents, and HTML fetched into one (the queue's refresh); not an
            # image that happened to get an HTML 404 page.
            if response.request.resource_type not in ("document", "fetch", "xhr"):
                continue
            try:
                headers = response.all_headers()
            except Exception:  # noqa: BLE001 - a response of a page already gone
                headers = response.headers
            if not headers.get("content-type", "").startswith("text/html"):
                continue
            self.tally.html_responses += 1
            policy = headers.get("content-security-policy")
            if not policy:
                self.tally.problem(f"{response.url}: HTML without a Content-Security-Policy")
                continue
            scripts = script_src(policy)
            if scripts is None or "'unsafe-inline'" in scripts or "*" in scripts.split():
                self.tally.problem(f"{response.url}: script-src allows inline scripts: {policy}")


@pytest.fixture
def tally():
    return Tally()


@pytest.fixture
def open_tab(browser_thread, village_server, transactional_db, tally):
    """`open_tab(who, bypass_csp=...)` gives a `browse(fn)` running fn(watcher) on the
    browser thread, in a new browser (its own cookies) with the hooks installed."""
    contexts = []

    def make(who: str, bypass_csp: bool) -> Watcher:
        context = browser_thread.browser.new_context(
            viewport=DESKTOP, base_url=village_server.url, bypass_csp=bypass_csp
        )
        contexts.append(context)
        context.add_init_script(HOOK)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return Watcher(page, who, tally)

    def open_one(who: str, *, bypass_csp: bool):
        watcher = browser_thread.call(make, who, bypass_csp)
        return lambda fn: browser_thread.call(fn, watcher)

    yield open_one
    for context in contexts:
        browser_thread.call(context.close)


def log_in(log_in_as, browse, user) -> None:
    log_in_as(lambda fn: browse(lambda tab: fn(tab.page)), user)


# --- the data, made through the services ------------------------------------------------------


def make_people(payloads: list[str]):
    cora = make_person("xss-cora@example.net", "Cora", Role.COORDINATOR)
    activate_totp(cora)
    val_a = make_person("xss-val-a@example.net", "Val A", Role.VOLUNTEER)
    val_b = make_person("xss-val-b@example.net", "Val B", Role.VOLUNTEER)
    members = [make_member(f"xss-{i}@example.net", f"Member {i}") for i in range(len(payloads))]
    named = [(cora, CORA), (val_a, VAL_A), (val_b, VAL_B)]
    named += [(m, fit(p, DISPLAY_NAME_MAX)) for m, p in zip(members, payloads, strict=True)]
    for user, name in named:
        account_services.update_profile(
            user=user,
            display_name=name,
            notify_direct_messages=False,
            notify_session_opens=False,
            show_online=True,
        )
    return cora, val_a, val_b, members


def send_messages(room, members, payloads) -> dict[int, tuple[str, str, int]]:
    """One message from each member; message id -> (body, author's display name, author)."""
    sent = {}
    for member, body in zip(members, payloads, strict=True):
        result = chat_services.send_message(
            author=member, room_id=room.pk, client_id=uuid.uuid4(), body=body
        )
        sent[result.message["id"]] = (body, member.display_name, member.pk)
    return sent


def report_messages(room, members, payloads) -> int:
    """Every payload as a report note: REPORTERS reports each on messages spread
    through the room (so that the queue's context shows every message)."""
    published = list(
        Message.objects.filter(room=room, status=Message.Status.PUBLISHED).order_by("seq")
    )
    by_author = {m.pk: i for i, m in enumerate(members)}
    flags = math.ceil(len(payloads) / REPORTERS)
    reasons = ["other", "worried", "hostile", "spam", "contact"]
    for k in range(flags):
        message = published[k * len(published) // flags]
        author = by_author[message.author_id]
        for r in range(REPORTERS):
            n = k * REPORTERS + r
            if n >= len(payloads):
                break
            reporter = members[(author + 1 + r) % len(members)]
            chat_services.report(
                reporter=reporter, message_id=message.pk, reason=reasons[n % 5], note=payloads[n]
            )
    return flags


# --- the test ------------------------------------------------------------------------------------


def test_no_payload_runs_anywhere_it_is_shown(open_tab, log_in_as, tally, settings):
    settings.VILLAGE_SEND_RATE_COUNT = 10_000
    settings.VILLAGE_MAX_ACTIVE_PAIRINGS = 10_000
    payloads = PAYLOADS
    assert len(payloads) >= 100 and len(set(payloads)) == len(payloads)
    started = time.monotonic()

    with transaction.atomic():  # one commit: set-up time goes to the browser instead
        cora, val_a, val_b, members = make_people(payloads)
        room = chat_services.create_room(
            actor=cora, name=MAIN_ROOM, capacity=len(members) + 5, always_open=True
        )
        chat_services.assign_lead(actor=cora, room_id=room.pk, volunteer=val_b)
        for member in members:
            chat_services.enrol_member(actor=cora, room_id=room.pk, member=member)
        sent = send_messages(room, members, payloads)
        flagged = report_messages(room, members, payloads)
        online, offline = members[:ONLINE], members[ONLINE:]
        for n, reason in enumerate(payloads):
            moderation_services.mute_member(
                actor=cora,
                member=offline[n % len(offline)],
                room_id=None,
                minutes=None,
                reason=reason,
            )
        for n, note in enumerate(payloads):
            moderation_services.warn_member(actor=cora, member=online[n % ONLINE], note=note)
        rules = [
            moderation_services.save_rule(
                actor=cora,
                rule=Rule(term=fit(term, RULE_TERM_MAX), category="xss", level=Level.GREEN),
                changed=["term", "category", "level"],
            )
            for term in payloads
        ]
        moderation_services.save_site_settings(
            actor=cora, values={"crisis_card_text": "\n".join(payloads)}
        )
        room_names = [fit(p, ROOM_NAME_MAX) for p in payloads]
        for name in room_names:
            chat_services.create_room(actor=cora, name=name)
        # Endings, with every payload in one of their notes (the pairings page
        # shows the latest ENDED_PAIRINGS_SHOWN), and as many pairings going on;
        # the members without one are in the page's form.
        endings = math.ceil(len(payloads) / NOTES_PER_ENDING)
        assert endings <= ENDED_PAIRINGS_SHOWN
        for n, member in enumerate(members[:endings]):
            pairing = chat_services.pair(actor=cora, member=member, volunteer=val_a)
            note = "\n".join(payloads[n::endings])
            chat_services.end_pairing(actor=cora, pairing_id=pairing.pk, note=note)
        for member in members[endings : 2 * endings]:
            chat_services.pair(actor=cora, member=member, volunteer=val_b)
    names = [m.display_name for m in members]
    statuses = Counter(Message.objects.filter(room=room).values_list("status", flat=True))
    direct_names = list(
        Pairing.objects.filter(volunteer=val_b).values_list("room__name", flat=True)
    )
    set_up = time.monotonic() - started

    # --- members keep the room open: seen online, typing, reading their warnings ----------------
    tabs = []
    for member in online:
        browse = open_tab(f"member {member.pk}", bypass_csp=False)
        log_in(log_in_as, browse, member)
        tabs.append((member, browse))

    def room_ready(page):
        expect(page.locator("#connection")).to_have_text("")
        expect(page.locator("#session-banner")).not_to_have_text("Connecting…")
        expect(page.locator("#messages > li.msg").first).to_be_attached()

    def shown_messages(tab, where, me=None):
        """The messages on a room page, each checked against what its author typed."""
        rows = tab.page.evaluate(
            """() => Array.from(document.querySelectorAll("#messages > li.msg"), li => ({
                id: Number(li.dataset.id),
                body: li.querySelector(".msg-body").innerText,
                author: li.querySelector(".author").innerText }))"""
        )
        for row in rows:
            body, author, author_id = sent[row["id"]]
            author = "You" if author_id == me else author
            if row["body"].strip() != body.strip():
                tally.problem(f"{tab.who} on {where}: body {row['body']!r} is not {body!r}")
            if row["author"] != author:
                tally.problem(f"{tab.who} on {where}: author {row['author']!r} is not {author!r}")
        return rows

    for member, browse in tabs:
        mine = payloads[members.index(member) :: ONLINE]

        def member_room(tab, mine=mine, me=member.pk, first=member == online[0]):
            tab.visit(f"/rooms/{room.pk}/", "the room page", room_ready)
            rows = shown_messages(tab, "the room page", me)
            assert len(rows) == 50, len(rows)
            warnings = " ".join(tab.page.locator(".notice[role=alert]").all_inner_texts())
            tally.contained("room page: her warnings", mine, warnings, where=tab.who)
            if first:  # the policy is enforced here: an injection shows as a violation
                tab.canary("csp violation")

        browse(member_room)

    # --- the coordinator reads the whole room ------------------------------------------------
    cora_tab = open_tab("Cora (coordinator)", bypass_csp=True)
    log_in(log_in_as, cora_tab, cora)
    visible = statuses[Message.Status.PUBLISHED] + statuses[Message.Status.HELD]

    def whole_room(tab):
        page = tab.page
        tab.visit(f"/rooms/{room.pk}/", "the room page", room_ready)
        earlier = page.locator("#load-earlier")
        while earlier.is_visible():
            count = page.locator("#messages > li.msg").count()
            earlier.click()
            expect(page.locator("#messages > li.msg")).not_to_have_count(count)
        expect(page.locator("#messages > li.msg")).to_have_count(visible)
        tab.check("the room page, all messages loaded")
        rows = shown_messages(tab, "the room page")
        shown_bodies = [r["body"].strip() for r in rows]
        shown_authors = [r["author"] for r in rows]
        expected = [body.strip() for body, _, _ in sent.values()]
        tally.shown("room page: message bodies", expected, shown_bodies, where=tab.who)
        tally.shown("room page: authors' display names", names, shown_authors, where=tab.who)
        expect(page.locator("#online")).to_contain_text(online[-1].display_name)
        line = page.locator("#online").inner_text()
        tally.contained(
            "room page: who is online", [m.display_name for m in online], line, where=tab.who
        )
        tally.shown(
            "room page: room name", [MAIN_ROOM], [page.locator("h1").inner_text()], where=tab.who
        )
        tab.canary("alert: 42")  # no policy here: an injection really runs

    cora_tab(whole_room)

    for _, browse in tabs:
        browse(lambda tab: tab.page.get_by_label("Your message").press_sequentially("typing"))
    cora_tab(lambda tab: tab.page.get_by_label("Your message").press_sequentially("typing"))

    def sees_typing(tab, who):
        typing = tab.page.locator("#typing")
        for name in who:
            expect(typing).to_contain_text(name)
        tally.contained("room page: who is typing", who, typing.inner_text(), where=tab.who)
        tab.check("the room page, with people typing")

    cora_tab(lambda tab: sees_typing(tab, [m.display_name for m in online]))
    tabs[0][1](lambda tab: sees_typing(tab, [CORA, *[m.display_name for m in online[1:]]]))

    for _, browse in tabs:
        browse(lambda tab: tab.page.get_by_label("Your message").fill(""))

    # Each member sends one more through the page: it arrives live, and is announced.
    live = payloads[-ONLINE:]
    for (_, browse), body in zip(tabs, live, strict=True):

        def say(tab, body=body):
            tab.page.get_by_label("Your message").fill(body)
            tab.page.get_by_role("button", name="Send").click()
            expect(tab.page.locator("#messages > li.pending")).to_have_count(0)
            tab.check("the room page, after sending")

        browse(say)
    arrived = list(Message.objects.filter(room=room).exclude(pk__in=list(sent)))
    by_pk = {m.pk: m for m in members}
    sent.update({m.pk: (m.body, by_pk[m.author_id].display_name, m.author_id) for m in arrived})
    assert sorted(m.body for m in arrived) == sorted(live)
    arrived_ids = {m.pk for m in arrived}
    for member, browse in tabs:  # her own, as "You", and the others' that arrived live
        browse(lambda tab, me=member.pk: shown_messages(tab, "the room page, live", me))

    def sees_live(tab):
        expect(tab.page.locator("#messages > li.msg")).to_have_count(visible + ONLINE)
        rows = shown_messages(tab, "the room page, live")
        shown = [r["body"].strip() for r in rows if r["id"] in arrived_ids]
        tally.shown("room page: live messages", [b.strip() for b in live], shown, where=tab.who)
        heard = tab.page.locator("#announcer").inner_text()
        tally.contained(
            "room page: live messages announced",
            [f"{m.display_name}: {b}" for m, b in zip(online, live, strict=True)],
            heard,
            where=tab.who,
        )
        tab.check("the room page, live")

    cora_tab(sees_live)

    # --- the coordinator's other pages -----------------------------------------------------------
    def room_list(tab):
        def ready(page):
            tab.wait_for(lambda: tab.frames_of("hello"), "hello")

        tab.visit("/", "the room list", ready)
        shown = tab.page.locator("#room-list .room-name").all_inner_texts()
        tally.shown("room list: room names", room_names + [MAIN_ROOM], shown, where=tab.who)
        tally.shown(
            "home: her display name",
            [f"Hello, {CORA}"],
            [tab.page.locator("h1").inner_text()],
            where=tab.who,
        )

    cora_tab(room_list)

    def queue(tab):
        page = tab.page
        with page.expect_response(lambda r: "partial=1" in r.url):
            tab.visit("/staff/queue/", "the flags queue")
        tab.check("the flags queue, refreshed live")
        expect(page.locator("#flag-list [data-flag-id]")).to_have_count(open_flags)
        text = page.locator("#flag-list").inner_text()
        bodies = [body for body, _, _ in sent.values()]
        tally.contained("queue: message bodies and context", bodies, text, where=tab.who)
        tally.contained("queue: report notes", payloads, text, where=tab.who)
        tally.contained("queue: display names", names, text, where=tab.who)
        tally.contained(
            "queue: mute reasons",
            payloads,
            page.locator("#mutes-heading ~ ul").inner_text(),
            where=tab.who,
        )

    open_flags = Flag.objects.filter(resolved_at__isnull=True).count()
    assert open_flags <= 100  # the queue shows the first 100
    cora_tab(queue)

    people_pages = math.ceil(User.objects.count() / 50)
    sampled = [cora, val_a, val_b, members[0], members[-1]]

    def people(tab):
        shown = []
        pages = people_pages
        for number in range(1, pages + 1):
            tab.visit(f"/staff/?page={number}", f"the people page {number}")
            shown += tab.page.locator("table a[href^='/staff/people/']").all_inner_texts()
        tally.shown("people: display names", names + [CORA, VAL_A, VAL_B], shown, where=tab.who)
        for user in sampled:
            tab.visit(f"/staff/people/{user.pk}/", "a person's page")
            tally.shown(
                "person page: display name",
                [user.display_name],
                [tab.page.locator("h1").inner_text()],
                where=tab.who,
            )
        for name in (names[-1],):
            tab.visit("/staff/?" + urlencode({"q": name}), "the people search")
            tally.shown(
                "people search: the words searched for (reflected)",
                [name],
                [tab.page.locator("#q").input_value()],
                where=tab.who,
            )

    cora_tab(people)

    ended = Pairing.objects.filter(ended_at__isnull=False).count()

    def audit(tab):
        text = ""
        for number in range(1, math.ceil(ended / 50) + 1):
            query = urlencode({"action": "pairing_ended", "page": number})
            tab.visit(f"/staff/audit/?{query}", f"the audit log, page {number}")
            text += tab.page.locator("table").inner_text()
        tally.contained("audit log: reasons", payloads, text, where=tab.who)
        tally.contained("audit log: targets and actors", names + [CORA], text, where=tab.who)
        query = urlencode({"actor": CORA, "target": names[0]})
        tab.visit(f"/staff/audit/?{query}", "the audit log, filtered")
        tally.shown(
            "audit filter: the words searched for (reflected)",
            [CORA, names[0]],
            [
                tab.page.get_by_label("By (display name)").input_value(),
                tab.page.get_by_label("About").input_value(),
            ],
            where=tab.who,
        )

    cora_tab(audit)

    terms = [rule.term for rule in rules]

    def rule_pages(tab):
        shown = []
        for number in range(1, math.ceil(len(terms) / 50) + 1):
            query = urlencode({"category": "xss", "page": number})
            tab.visit(f"/staff/moderation/rules/?{query}", f"the rules, page {number}")
            shown += tab.page.locator(".rules-table td:first-child a").all_inner_texts()
        tally.shown("rules: terms", terms, shown, where=tab.who)
        for rule in (rules[0], rules[-1]):
            tab.visit(f"/staff/moderation/rules/{rule.pk}/", "a rule's page")
            tally.shown(
                "rule page: term",
                [f"Rule: {rule.term}"],
                [tab.page.locator("h1").inner_text()],
                where=tab.who,
            )
            tally.shown(
                "rule page: term in the form",
                [rule.term],
                [tab.page.get_by_label("Word or phrase", exact=True).input_value()],
                where=tab.who,
            )
        tab.visit("/staff/moderation/rules/?" + urlencode({"term": terms[0]}), "the rules search")
        # Try every payload, as many as fit in one message at a time.
        chunks, chunk = [], ""
        for p in payloads:
            if len(chunk) + len(p) + 1 > 2000:
                chunks.append(chunk)
                chunk = ""
            chunk = f"{chunk} {p}" if chunk else p
        chunks.append(chunk)
        tried = []
        for text in chunks:
            page = tab.page
            page.get_by_label("Message", exact=True).fill(text)
            page.get_by_role("button", name="See what would happen").click()
            tab.loaded("try a message")
            shown_text = page.locator(".try-text").inner_text().replace("\r\n", "\n")
            tally.shown(
                "try a message: the message, marked",
                [text.strip()],
                [shown_text.strip()],
                where=tab.who,
            )
            tried += [p for p in payloads if p in shown_text]
            tally.shown(
                "try a message: the box, filled again",
                [text],
                [page.get_by_label("Message", exact=True).input_value().replace("\r\n", "\n")],
                where=tab.who,
            )
        tally.places["try a message: payloads tried"] |= set(tried)

    cora_tab(rule_pages)

    pairing = Pairing.objects.select_related("room").filter(volunteer=val_b).first()

    def rooms_and_pairings(tab):
        tab.visit("/staff/rooms/pairings/", "the pairings page")
        text = tab.page.locator("main").text_content()
        tally.contained("pairings: display names", names + [VAL_A, VAL_B], text, where=tab.who)
        tally.contained("pairings: ending notes", payloads, text, where=tab.who)
        tab.visit("/staff/rooms/", "the rooms page")
        shown = tab.page.locator("table td:first-child a").all_inner_texts()
        tally.shown("rooms page: room names", room_names + [MAIN_ROOM], shown, where=tab.who)
        tab.visit(f"/staff/rooms/{room.pk}/", "the room's staff page")
        shown = tab.page.locator(".person-name").all_inner_texts()
        tally.shown("room's staff page: members and leads", names + [VAL_B], shown, where=tab.who)
        tab.visit("/staff/moderation/settings/", "the settings page")
        card_text = tab.page.get_by_label("Crisis card text").input_value()
        tally.contained(
            "settings: crisis card text in the form", payloads, card_text, where=tab.who
        )
        previews = " ".join(tab.page.locator(".card-preview").all_inner_texts())
        tally.contained("settings: crisis card previews", payloads, previews, where=tab.who)
        tab.visit("/concerns/new/", "the raise-a-concern page")
        options = tab.page.get_by_label("Who are you worried about?").locator("option")
        tally.shown(
            "concern page: members to choose from", names, options.all_inner_texts(), where=tab.who
        )
        tab.visit(f"/rooms/{pairing.room_id}/", "someone else's 1:1 (asks why)")
        tally.shown(
            "1:1 opening page: room name",
            [f"Open {pairing.room.name}"],
            [tab.page.locator("h1").inner_text()],
            where=tab.who,
        )

    cora_tab(rooms_and_pairings)

    # --- the volunteer's room list (every 1:1 chat is named after the pair) --------------------
    val_tab = open_tab("Val B (volunteer)", bypass_csp=True)
    log_in(log_in_as, val_tab, val_b)

    def val_pages(tab):
        def ready(page):
            tab.wait_for(lambda: tab.frames_of("hello"), "hello")

        tab.visit("/", "the room list", ready)
        shown = tab.page.locator("#room-list .room-name").all_inner_texts()
        tally.shown(
            "room list: 1:1 chats named after the pair",
            direct_names + [MAIN_ROOM],
            shown,
            where=tab.who,
        )
        with tab.page.expect_response(lambda r: "partial=1" in r.url):
            tab.visit("/staff/queue/", "the flags queue (her rooms)")
        tab.check("the flags queue, refreshed live")

    val_tab(val_pages)

    # --- a member's own pages --------------------------------------------------------------------
    amy, amy_tab = tabs[0]
    amy_direct = Pairing.objects.get(member=amy).room.name

    def own_pages(tab):
        tab.visit("/", "the room list")
        shown = tab.page.locator("#room-list .room-name").all_inner_texts()
        tally.shown("room list (member): room names", [MAIN_ROOM, amy_direct], shown, where=tab.who)
        tab.visit("/help/", "the crisis card")
        text = tab.page.locator("main").inner_text()
        tally.contained("crisis card page: paragraphs", payloads, text, where=tab.who)
        tab.visit("/accounts/profile/", "her profile")
        name = tab.page.get_by_label("Display name").input_value()
        tally.shown("profile: display name in the form", [amy.display_name], [name], where=tab.who)

    amy_tab(own_pages)

    elapsed = time.monotonic() - started
    executed = [p for p in tally.problems if ": executed: " in p or ": dialog: " in p]
    injected = [p for p in tally.problems if ": injected markup: " in p]
    no_csp = [p for p in tally.problems if "Content-Security-Policy" in p or "script-src" in p]
    csp = (
        "CSP on every HTML response"
        if not no_csp
        else f"CSP missing or weak on {len(no_csp)} HTML responses"
    )
    print(
        f"\nscript injection: {len(payloads)} payloads x {len(tally.places)} places, "
        f"{tally.page_loads} page loads, {len(executed)} executed, {csp}"
        f"\n  {len(injected)} pages with injected markup; {tally.html_responses} HTML responses "
        f"checked; messages {dict(statuses)}; {flagged} reported messages; "
        f"set-up {set_up:.1f} s, in all {elapsed:.1f} s"
    )
    for place, texts in sorted(tally.places.items()):
        print(f"  {len(texts):4d}  {place}")
    assert not tally.problems, "\n".join(tally.problems[:60])
