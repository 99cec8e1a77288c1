"""Scan messages with the rules in the database: one a line in, one JSON object a line out.

    echo "ring me on 07911 123456" | python manage.py scan_text

Each output line is the combined verdict of the rules and the model
{"text", "action": publish|flag|hold|block, "level": RED|AMBER|GREEN|null,
 "matches": [{"source": rule|model, "rule", "category", "level", "start", "end"}]}
where "rule" is the rule's id, the detector's name for the built-in contact
checks, or "model:<category>" for the model, whose matches also carry its
"score" and span the whole text; start/end are character offsets in "text".
Nothing is stored or sent.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator

from django.core.management.base import BaseCommand

from moderation import ruleset, services
from moderation.staff_views import outcome


def _lines(stream) -> Iterator[str]:
    """Lines of `stream` without their line ending; undecodable bytes become U+FFFD."""
    binary = getattr(stream, "buffer", None)
    if binary is not None:
        for raw in binary:
            yield raw.decode("utf-8", errors="replace").rstrip("\r\n")
    else:
        for line in stream:
            yield line.rstrip("\r\n")


def _clean(text: str) -> str:
    # Lone surrogates (possible in text handed over in-process) cannot be
    # written as UTF-8; pairs are joined, lone halves become U+FFFD.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


# JSON leaves these unescaped, but str.splitlines() and some readers end a line at them.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_line(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False).translate(_LINE_BREAKS)


def scan_line(text: str, *, room_kind: str = "group") -> dict:
    """The result for one message, in the documented shape."""
    if not text.strip():
        return {"text": text, "action": "publish", "level": None, "matches": []}
    verdict = services.scan_text(text=text, room_kind=room_kind)
    return {
        "text": text,
        "action": outcome(verdict),
        "level": str(verdict.level) if verdict.level else None,
        "matches": [
            {
                "source": match.source,
                "rule": match.rule,
                "category": match.category,
                "level": str(match.level),
                "start": match.start,
                "end": match.end,
                **({"score": match.score} if match.score is not None else {}),
            }
            for match in sorted(verdict.matches, key=lambda m: (m.start, m.end))
        ],
    }


class Command(BaseCommand):
    help = (
        "Read one message a line from standard input and print, for each, one JSON object "
        "saying what the rules in the database would do with it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--room-kind",
            choices=["group", "direct"],
            default="group",
            help="Judge the messages as posted in a group room (default) or a 1:1 chat.",
        )

    def handle(self, *args, room_kind: str = "group", **options):
        if not options.get("stdout") and hasattr(sys.stdout, "reconfigure"):
            # The output is UTF-8 JSON whatever the terminal's locale says.
            sys.stdout.reconfigure(encoding="utf-8")
        ruleset.forget()  # the rules as they are now, not as another test or run left them
        for line in _lines(sys.stdin):
            result = scan_line(_clean(line), room_kind=room_kind)
            self.stdout.write(_json_line(result))
            self.stdout.flush()
