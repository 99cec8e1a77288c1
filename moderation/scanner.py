"""The keyword scanner: normalise a message, find rule terms, detect contact details.

Pure Python (no Django): `moderation.ruleset` builds one `Scanner` from the
database rules; tests and the benchmark build their own.

How a message is read
---------------------
`normalise()` turns the text into a canonical form and keeps, for every
character, where it came from in the original text (so a match can be
highlighted as the person wrote it). In order:

1. Zero-width and format characters are removed, other control characters
   too (newline, tab and other line breaks become spaces).
2. NFKC compatibility forms (fullwidth, ligatures, styled letters), accents
   stripped, case folded; Cyrillic and Greek look-alikes become the Latin
   letter they imitate; curly apostrophes and dashes become plain ones.
   (The contact detectors read the text at this stage: `@`, `.` and digits
   are intact.)
3. Apostrophes dropped ("don't" and "dont" read the same).
4. Leetspeak (0 1 3 4 5 7 @ $) read as letters, but only inside tokens that
   also hold letters, and not in a number with a unit ("7lb", "9am", "2nd").
5. Runs of three or more single letters separated by spaces, dots, dashes or
   underscores joined ("s.u.i.c.i.d.e", "k i l l").
6. A letter repeated three or more times becomes one ("diiie").
7. Hyphens and underscores become spaces; runs of spaces become one.
8. Text-speak words read as the plain words (TEXT_SPEAK: "wana" is "want to",
   "2nite" "tonight"), in rule terms too; and, in messages only, a key risk word
   of six letters or more typed one letter off (ONE_OFF_WORDS: "suacide",
   "myslef") reads as the word, unless the slip is an everyday word.

How a rule matches
------------------
All terms and exception phrases of all rules go into ONE Aho-Corasick
automaton, keyed by their normalised form with the spaces removed. The
automaton runs once over the normalised message with its spaces removed,
so the cost of a scan does not grow with the number of rules, and a phrase
rule ("kill myself") also matches when the spaces were dropped or moved
("killmyself", "kill my self"). Whole-word semantics are checked against the
spaced text: a hit must start and end on word boundaries (unless the term
has a `*` on that side), and a one-word term must not span a space. A term
whose double letter was typed three or more times ("killll") still matches
("kill"): each term also goes in with its double letters single, and such a
hit counts only where the text had a collapsed run.

A hit does not count when one of its rule's exception phrases occurs in the
message and covers the hit ("I could kill for a coffee").

A hit of a risk category that she denies straight before it, in the same clause
("I'm not suicidal", "I'd never hurt myself"), or that a named helpline's
signpost frames ("if you're not safe at home, the National Domestic Abuse
Helpline is ..."), is lowered to GREEN, but only when every match in the
message is such a hit: a denial beside any other match lowers nothing.

Risk emoji (RISK_EMOJI: 🪦 ⚰️ 💊 🔪 🩸 🌉 ...) count as self_harm RED (detector
"self_harm:emoji") only beside words of risk or time, or doubled, never in a
message that reads as everyday.

Contact details
---------------
With `detect_contact`, built-in detectors (ids in CONTACT_DETECTORS; category
"contact", AMBER, "hold") read the folded text of stage 2: UK phone numbers in
digits, spelled digits or words ("oh seven nine double one ..."; published
helplines in HELPLINE_NUMBERS are not contact), email addresses (also "name at
gmail dot com"), web addresses (support services in SAFE_DOMAINS are not),
@handles (but not "@Sarah, thank you": a short plain name without any social
platform named is someone in the room being addressed), UK postcodes and
"12 Acacia Road" (not a clinic's postcode for the sat nav), and private
meetings ("meet up after group, just us"). Handle phrases ("my insta is",
"whats ur snap", "find me on the ghost app") and off-platform phrases ("add me
on", "swap numbers", "meet up at") are built-in rules in the same automaton.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from operator import itemgetter

import ahocorasick

__all__ = [
    "CONTACT_DETECTORS",
    "RISK_DETECTORS",
    "RISK_EMOJI",
    "ONE_OFF_WORDS",
    "TEXT_SPEAK",
    "HELPLINE_NUMBERS",
    "SAFE_DOMAINS",
    "Match",
    "RuleSpec",
    "Scanner",
    "normalise",
]


@dataclass(frozen=True)
class RuleSpec:
    id: int | str
    term: str
    category: str
    level: str
    action: str = "default"
    exceptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    rule: int | str
    term: str
    category: str
    level: str
    action: str
    start: int
    end: int
    # The model's probability when the model made the match (moderation.screening);
    # None for a rule's or a detector's.
    score: float | None = None

    @property
    def source(self) -> str:
        return "rule" if self.score is None else "model"


# --- the built-in contact detectors ---------------------------------------------------

PHONE = "contact:phone"
EMAIL = "contact:email"
URL = "contact:url"
HANDLE = "contact:handle"
ADDRESS = "contact:address"
OFF_PLATFORM = "contact:off_platform"
CONTACT_DETECTORS = (PHONE, EMAIL, URL, HANDLE, ADDRESS, OFF_PLATFORM)

# Published helplines are not personal contact details (SAFEGUARDING.md's crisis
# card and the services it points to); digits only, UK national form.
HELPLINE_NUMBERS = frozenset(
    {
        "999",
        "112",
        "111",
        "116123",  # Samaritans
        "116117",
        "85258",  # Shout
        "08082000247",  # National Domestic Abuse Helpline
        "03001233393",  # Mind Infoline
        "08081961776",  # PANDAS
        "08000147800",  # Tommy's
        "08088005000",  # NSPCC
        "03001000212",  # National Breastfeeding Helpline
        "03003300700",  # NCT
        "08085002222",  # Rape Crisis
        "08001111",  # Childline
        "0800585858",  # CALM
        "08000684141",  # Papyrus HOPELINE247
        "08009995428",  # Galop
        "08005999247",  # Karma Nirvana
        "08088010327",  # Men's Advice Line
        "08088024040",  # Respect
        "08088002222",  # Family Lives
        "08081643332",  # Sands
        "08088026868",  # The Lullaby Trust
        "03001236600",  # Frank
        "08088020925",  # Gingerbread
        "08088004444",  # Shelter
    }
)

# Support services' websites: sharing them is signposting, not contact.
SAFE_DOMAINS = frozenset(
    {
        "nhs.uk",
        "gov.uk",
        "mind.org.uk",
        "samaritans.org",
        "giveusashout.org",
        "nationaldahelpline.org.uk",
        "refuge.org.uk",
        "womensaid.org.uk",
        "pandasfoundation.org.uk",
        "tommys.org",
        "nct.org.uk",
        "app-network.org",
        "nspcc.org.uk",
        "lullabytrust.org.uk",
        "bliss.org.uk",
        "home-start.org.uk",
        "maternalmentalhealthalliance.org",
    }
)

_LEVEL_ORDER = {"RED": 0, "AMBER": 1, "GREEN": 2}


# --- normalisation ----------------------------------------------------------------------

_REMOVE = set("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u3164\u115f\u1160\u2800\u034f")
_SPACES = set("\n\t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029")


def _pairs(spec: str) -> dict[str, str]:
    items = spec.split()
    return {item[0]: item[1:] for item in items}


# Look-alikes (by the shape they imitate), apostrophes and dashes. Applied before
# case folding (capital Greek eta looks like H, small eta like n) and again after.
_LOOKALIKE = {
    # Cyrillic capitals and smalls
    **_pairs("Аa Вb Еe Ёe Кk Мm Нh Оo Рp Сc Тt Уy Хx Ѕs Іi Їi Јj Ԛq Ԝw Үy Һh Ӏl Ԁd"),
    **_pairs("аa вb еe ёe кk мm нh оo рp сc тt уy хx ѕs іi їi јj һh ԁd ԛq ԝw ӏl ьb гr пn үy"),
    # Greek capitals and smalls
    **_pairs("Αa Βb Εe Ζz Ηh Ιi Κk Μm Νn Οo Ρp Τt Υy Χx"),
    **_pairs("αa βb γy εe ζz ηn ιi κk νv οo ρp σo ςs τt υu χx ωw μu"),
    # Latin variants, small capitals, Armenian
    **_pairs("ıi ɑa ɡg ɩi ʏy ᴀa ʙb ᴄc ᴅd ᴇe ꜰf ɢg ʜh ɪi ᴊj ᴋk ʟl ᴍm ɴn ᴏo ᴘp ʀr ꜱs ᴛt ᴜu ᴠv"),
    **_pairs("ᴡw ᴢz օo սu"),
    # apostrophes and dashes
    **dict.fromkeys("\u2019\u2018\u02bc\u0060\u00b4\u2032\u02b9\u201b", "'"),
    **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
}


def _fold_char(ch: str) -> str:
    if ch in _REMOVE:
        return ""
    if ch in _SPACES:
        return " "
    cat = unicodedata.category(ch)
    if cat in ("Zs", "Zl", "Zp"):
        return " "
    if cat in ("Cc", "Cf", "Cs"):
        return ""  # controls, zero-width and other format characters
    mapped = _LOOKALIKE.get(ch)
    if mapped is not None:
        return mapped
    out = []
    for part in unicodedata.normalize("NFKD", ch):
        if unicodedata.category(part) in ("Mn", "Me"):
            continue  # accents and other combining marks
        mapped = _LOOKALIKE.get(part)
        if mapped is not None:
            out.append(mapped)
            continue
        for folded in part.casefold():
            out.append(_LOOKALIKE.get(folded, folded))
    result = "".join(out)
    return " " if result.isspace() else result


class _FoldTable(dict):
    """str.translate's table: each character's folded form, computed once."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if len(folded) != 1:
            _NOT_ONE_TO_ONE.add(chr(code))  # before the table has it (threads)
        if len(self) < 100_000:
            self[code] = folded
        return folded


_NOT_ONE_TO_ONE: set[str] = set()  # characters removed or folded into several
_FOLD_TABLE = _FoldTable()


def _fold(text: str) -> tuple[list[str], list[int], list[int]]:
    """Stage 1-2: characters, and each one's span [start, end) in the original."""
    folded = text.translate(_FOLD_TABLE)
    if len(folded) == len(text) and _NOT_ONE_TO_ONE.isdisjoint(text):
        return list(folded), list(range(len(text))), list(range(1, len(text) + 1))
    chars: list[str] = []
    starts: list[int] = []
    table = _FOLD_TABLE
    for i, ch in enumerate(text):
        for out in table[ord(ch)]:
            chars.append(out)
            starts.append(i)
    return chars, starts, [s + 1 for s in starts]


_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
# A number with a unit or suffix stays a number: 7lb, 2oz, 9am, 3kg, 2nd, 6wks, 3yo.
_NUMBER_WITH_UNIT = re.compile(
    r"\d+(?:st|nd|rd|th|am|pm|a|p|lbs?|oz|kgs?|g|mg|mls?|l|cl|cm|mm|m|kms?|ft|in|k|s|x|h|hrs?"
    r"|mins?|secs?|d|wks?|w|weeks?|mo|mos|months?|yo|yrs?|y|years?|days?|hours?|minutes?"
    r"|ish|oclock|ml)"
)
_TOKEN = re.compile(r"(?:[^\W_]|[@$])+")  # letters, digits, @ and $
_HAS_LEET = re.compile(r"[013457@$]")
_LEET_TOKEN = re.compile(r"(?<![^\W_])(?<![@$])(?:[^\W_]|[@$])*[013457@$](?:[^\W_]|[@$])*")
_BANG = re.compile(r"(?<=[^\W\d_])!(?=[^\W\d_])")  # "k!ll"
_SINGLE = r"(?<![^\W_])(?<![@$])(?:[^\W_]|[@$])(?![^\W_])(?![@$])"
_SPACED_HINT = re.compile(rf"{_SINGLE}(?:[ .\-_*~]{{1,5}}{_SINGLE}){{2}}")
_TRIPLE = re.compile(r"([^\W\d_])\1\1")
_JOIN_SEPARATORS = frozenset(" .-_*~")
_HYPHENS_TO_SPACES = str.maketrans("-_", "  ")


def _is_word(ch: str) -> bool:
    return ch.isalnum()


_NOT_APOSTROPHES = re.compile(r"[^']+")


def _pick(items: list, indices: list[int]) -> list:
    if len(indices) > 1:
        return list(itemgetter(*indices)(items))
    return [items[k] for k in indices]


_COLLAPSED = 1  # a letter that was typed three or more times
_JOINED = 2  # a letter from a run of spaced single letters


def _keyword_stream(
    chars: list[str], starts: list[int], ends: list[int]
) -> tuple[list[str], list[int], list[int], list[int]]:
    """Stages 3-7 on the folded characters; the last list holds _COLLAPSED/_JOINED flags."""
    # 3. apostrophes dropped
    text = "".join(chars)
    if "'" in text:
        keep = [k for m in _NOT_APOSTROPHES.finditer(text) for k in range(*m.span())]
        text = text.replace("'", "")
        c1, s1, e1 = list(text), _pick(starts, keep), _pick(ends, keep)
    else:
        c1, s1, e1 = list(chars), starts, ends
    n = len(c1)

    # 4. tokens and leetspeak ("!" between letters reads as i)
    if "!" in text:
        for m in _BANG.finditer(text):
            c1[m.start()] = "i"
        text = "".join(c1)
    if _HAS_LEET.search(text):
        for m in _LEET_TOKEN.finditer(text):
            token = m.group()
            if len(token) < 2 or not any(c.isalpha() for c in token):
                continue
            if token[0].isdigit() and _NUMBER_WITH_UNIT.fullmatch(token):
                continue
            for q in range(m.start(), m.end()):
                c1[q] = _LEET.get(c1[q], c1[q])

    # 5. runs of single letters joined
    deleted: list[bool] | None = None
    joined: list[bool] | None = None
    if _SPACED_HINT.search(text):
        tokens = [m.span() for m in _TOKEN.finditer(text)]
        # Marked on lists of their own so that `close` sees them as lists, not Optional.
        deleted_marks, joined_marks = [False] * n, [False] * n
        run: list[tuple[int, int]] = []

        def close(run: list[tuple[int, int]]) -> None:
            if len(run) < 3:
                return
            letters = sum(1 for a, _ in run if c1[a].isalpha())
            if letters < 2 or letters * 2 < len(run):
                return
            for idx, (a, _) in enumerate(run):
                c1[a] = _LEET.get(c1[a], c1[a])
                joined_marks[a] = True
                if idx:
                    for q in range(run[idx - 1][1], a):
                        deleted_marks[q] = True

        for a, b in tokens:
            if not (b - a == 1 and (c1[a].isalpha() or c1[a] in _LEET)):
                close(run)
                run = []
                continue
            if run:
                gap = c1[run[-1][1] : a]
                if not (
                    1 <= len(gap) <= 5
                    and all(g in _JOIN_SEPARATORS for g in gap)
                    and not ("." in gap and " " in gap)
                ):
                    close(run)
                    run = []
            run.append((a, b))
        close(run)
        if any(joined_marks):
            deleted, joined = deleted_marks, joined_marks

    # 7 (the common case: no letters to collapse or join). Hyphens and underscores
    # become spaces; runs of spaces become one.
    if deleted is None and not _TRIPLE.search(text):
        spaced_text = "".join(c1).translate(_HYPHENS_TO_SPACES)
        spaced = list(spaced_text)
        if "  " not in spaced_text:
            return spaced, s1, e1, [0] * n
        keep = [k for k in range(n) if spaced[k] != " " or k == 0 or spaced[k - 1] != " "]
        return _pick(spaced, keep), _pick(s1, keep), _pick(e1, keep), [0] * len(keep)

    # 6. letters repeated three or more times collapsed, 7. spaces
    if deleted is None or joined is None:
        deleted, joined = [False] * n, [False] * n
    c2: list[str] = []
    s2: list[int] = []
    e2: list[int] = []
    f2: list[int] = []
    k = 0
    while k < n:
        if deleted[k]:
            k += 1
            continue
        c = c1[k]
        if c in "-_":
            c = " "
        if c == " ":
            if c2 and c2[-1] == " ":
                k += 1
                continue
            c2.append(" ")
            s2.append(s1[k])
            e2.append(e1[k])
            f2.append(0)
            k += 1
            continue
        if c.isalpha():
            j = k + 1
            last = k
            count = 1
            while j < n and (deleted[j] or c1[j] == c):
                if not deleted[j]:
                    count += 1
                    last = j
                j += 1
            if count >= 3:
                c2.append(c)
                s2.append(s1[k])
                e2.append(e1[last])
                f2.append(_COLLAPSED | (_JOINED if joined[k] else 0))
                k = last + 1
                continue
        c2.append(c)
        s2.append(s1[k])
        e2.append(e1[k])
        f2.append(_JOINED if joined[k] else 0)
        k += 1
    return c2, s2, e2, f2


# --- text-speak, key words typed one letter off ------------------------------------------

# Text-speak read as the plain words, like leetspeak: how a word is spelt, not what it
# means. Slang with a risk meaning ("kms", "ctb", "unalive", "off myself") is in the
# rules, which coordinators extend on the rules page. Keys are whole words; rule terms
# and exceptions are read the same way, so a term written "wanna die" still matches.
TEXT_SPEAK = {
    "wanna": "want to",
    "wana": "want to",
    "wan2": "want to",
    "wnt": "want",
    "gonna": "going to",
    "gona": "going to",
    "gna": "going to",
    "gunna": "going to",
    "finna": "going to",
    "imma": "im going to",
    "tryna": "trying to",
    "2nite": "tonight",
    "2night": "tonight",
    "tonite": "tonight",
    "2day": "today",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "tmrw": "tomorrow",
    "cnt": "cant",
    "carnt": "cant",
    "dnt": "dont",
    "evry1": "everyone",
    "every1": "everyone",
    "evry": "every",
    "evrything": "everything",
    "no1": "no one",
    "noone": "no one",
    "any1": "anyone",
    "sum1": "someone",
    "u": "you",
    "lyf": "life",
    "lyfe": "life",
    "kil": "kill",
    "pils": "pills",
    "tabs": "tablets",
    "slef": "self",
    "jus": "just",
    "jst": "just",
    "rly": "really",
    "abt": "about",
    "bout": "about",
    "wen": "when",
    "ova": "over",
    "ovr": "over",
    "anymoar": "anymore",
    "anymor": "anymore",
    "nomore": "no more",
    "wiv": "with",
    "wud": "would",
    "thnk": "think",
    "tak": "take",
    "infront": "in front",
    "goin": "going",
    "doin": "doing",
    "endin": "ending",
    "jumpin": "jumping",
    "cuttin": "cutting",
    "tryin": "trying",
    "feelin": "feeling",
    "takin": "taking",
    "plannin": "planning",
    "anythin": "anything",
    "smashin": "smashing",
    "screamin": "screaming",
    "shoutin": "shouting",
    "hittin": "hitting",
    "kickin": "kicking",
    "comin": "coming",
    "tryed": "tried",
    "trew": "threw",
    "sed": "said",
    "somethin": "something",
    "cos": "because",
    "coz": "because",
    "cuz": "because",
}

# Key risk words one slip away ("suacide", "sucide", "myslef": one letter added, dropped,
# changed, or two swapped) read as the word. Only these, never a word under six letters
# (one letter turns "kill" into "bill" or "kiln"), and never a slip that is itself an
# everyday word (_NOT_ONE_OFF: "mothering" is not "smothering", nor "tables" "tablets").
# Most of them count only inside a rule's phrase ("hurting myself"), which keeps a wrong
# reading from alarming on its own. Messages only: a rule's "suicid*" is no slip.
# fmt: off
ONE_OFF_WORDS = (
    "suicide", "suicidal", "myself", "overdose", "overdosed", "overdosing", "unalive",
    "paracetamol", "tablets", "wrists", "strangled", "strangling", "smothered",
    "smothering", "suffocate", "suffocated", "suffocating", "hallucinating",
    "hallucinations", "intrusive", "disappear", "hanging", "harming", "hurting", "killing",
    "possessed", "controlling", "abusive", "threatened", "threatens", "drowning",
    "everyone", "everything", "anymore", "thinking", "nothing", "nobody", "deserve",
    "pointless", "worthless", "burden", "forever", "goodbye", "instagram", "facebook",
    "whatsapp", "snapchat", "telegram", "tiktok",
)
# Everyday words (and other forms of the key words) one letter from a key word.
_NOT_ONE_OFF = frozenset((
    "arming", "banging", "barden", "billing", "borden", "browning", "budden", "burdens",
    "burdon", "buren", "burien", "burren", "changing", "charming", "crowning", "deserved",
    "deserves", "dilling", "disappears", "downing", "droning", "drownings", "durden",
    "everyones", "everythings", "farming", "filling", "frowning", "ganging", "gilling",
    "goodbyes", "hallucination", "hamming", "handing", "hangings", "hanning", "harding",
    "haring", "harking", "harling", "harping", "harting", "hilling", "hinging", "hunting",
    "hurling", "hurtling", "kelling", "killings", "kipling", "meserve", "milling",
    "mothered", "mothering", "nobodys", "noshing", "notching", "nothings", "noting",
    "notting", "overdoes", "overdoing", "overdone", "pilling", "possesses", "ranging",
    "reserve", "rilling", "skilling", "straggling", "strangle", "strangler", "strangles",
    "suffocates", "tables", "tablet", "thanking", "thinning", "threaten", "tilling",
    "waists", "warming", "willing", "wrist", "writs", "facebooks", "instagrams",
    "snapchats", "telegrams",
))
# fmt: on
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def _one_letter_off(word: str) -> set[str]:
    """Every spelling one insertion, deletion, substitution or adjacent swap from `word`."""
    out: set[str] = set()
    for i in range(len(word) + 1):
        out.update(word[:i] + c + word[i:] for c in _ALPHABET)
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1 :])
        out.update(word[:i] + c + word[i + 1 :] for c in _ALPHABET)
    for i in range(len(word) - 1):
        out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    out.discard(word)
    return out


@lru_cache(maxsize=1)
def _slips() -> dict[str, str]:
    """Slip -> key word; a slip of two key words ("hurting"/"harming") reads as neither."""
    table: dict[str, str] = {}
    ambiguous: set[str] = set()
    for word in ONE_OFF_WORDS:
        if len(word) < 6:
            continue
        for slip in _one_letter_off(word):
            if slip in _NOT_ONE_OFF or slip in ONE_OFF_WORDS:
                continue
            if table.setdefault(slip, word) != word:
                ambiguous.add(slip)
    for slip in ambiguous:
        del table[slip]
    return table


@lru_cache(maxsize=1)
def _text_speak() -> dict[str, str]:
    """TEXT_SPEAK with its keys read as messages are ("evry1" is "evryi" after leetspeak)."""
    table = {}
    for key, plain in TEXT_SPEAK.items():
        chars, starts, ends = _fold(key)
        table["".join(_keyword_stream(chars, starts, ends)[0]).strip()] = plain
    return table


@lru_cache(maxsize=2)
def _plain_words(slips: bool) -> dict[str, str]:
    """What stage 8 replaces: text-speak always, slips of key words in messages."""
    return {**_slips(), **_text_speak()} if slips else _text_speak()


_WORD = re.compile(r"[^\W_]+")

Stream = tuple[list[str], list[int], list[int], list[int]]


def _rewrite(stream: Stream, *, slips: bool) -> Stream:
    """Stage 8: text-speak words (and, with `slips`, key words one letter off) replaced by
    the plain words, each new letter keeping the span of the word it replaces."""
    chars, starts, ends, flags = stream
    text = "".join(chars)
    table = _plain_words(slips)
    out: Stream | None = None
    last = 0
    for m in _WORD.finditer(text):
        plain = table.get(m.group())
        if plain is None:
            continue
        if out is None:
            out = ([], [], [], [])
        a, b = m.span()
        out[0].extend(chars[last:a])
        out[1].extend(starts[last:a])
        out[2].extend(ends[last:a])
        out[3].extend(flags[last:a])
        size = len(plain)
        out[0].extend(plain)
        out[1].extend([starts[a]] * size)
        out[2].extend([ends[b - 1]] * size)
        out[3].extend([flags[a] & _JOINED] * size)
        last = b
    if out is None:
        return stream
    out[0].extend(chars[last:])
    out[1].extend(starts[last:])
    out[2].extend(ends[last:])
    out[3].extend(flags[last:])
    return out


def _message_stream(chars: list[str], starts: list[int], ends: list[int]) -> Stream:
    """Stages 3-8 for a message."""
    return _rewrite(_keyword_stream(chars, starts, ends), slips=True)


def normalise(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, its index in `text`."""
    chars, starts, ends = _fold(text)
    b_chars, b_starts, _, _ = _message_stream(chars, starts, ends)
    return "".join(b_chars), b_starts


@lru_cache(maxsize=65536)
def _prepare(phrase: str) -> tuple[bool, bool, str, bool] | None:
    """(left wildcard, right wildcard, key without spaces, is a phrase) or None."""
    core = phrase.strip()
    left = core.startswith("*")
    right = core.endswith("*") and len(core) > 1
    core = core.strip("*").strip()
    if not core:
        return None
    chars, starts, ends = _fold(core)
    b_chars = _rewrite(_keyword_stream(chars, starts, ends), slips=False)[0]
    normal = "".join(b_chars).strip()
    key = normal.replace(" ", "")
    if not key:
        return None
    return left, right, key, " " in normal


@lru_cache(maxsize=65536)
def _single_double_variants(key: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """The key with some double letters single, and where those letters land."""
    doubles = [p for p in range(len(key) - 1) if key[p] == key[p + 1] and key[p].isalpha()]
    picked: list[int] = []
    for p in doubles:  # non-overlapping, at most three
        if not picked or p > picked[-1] + 1:
            picked.append(p)
        if len(picked) == 3:
            break
    variants = []
    for size in range(1, len(picked) + 1):
        for combo in itertools.combinations(picked, size):
            out, marks, shift = [], [], 0
            for p in range(len(key)):
                if p - 1 in combo:
                    shift += 1
                    continue
                if p in combo:
                    marks.append(p - shift)
                out.append(key[p])
            variants.append(("".join(out), tuple(marks)))
    return tuple(variants)


# --- contact detectors --------------------------------------------------------------------

_NUMBER_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "nought": "0",
    "nil": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    # as tired thumbs (and as people dodging the filter) spell them
    "wun": "1",
    "too": "2",
    "fowr": "4",
    "fore": "4",
    "sevn": "7",
    "sevan": "7",
    "ate": "8",
    "nien": "9",
}
_MULTIPLIERS = {"double": 2, "triple": 3, "treble": 3}
# "seven hundred" is 700 in a spoken number ("oh seven seven hundred nine hundred ...")
_HUNDREDS = {"hundred": "00", "thousand": "000"}
# Digits with the letters that stand in for them ("O7911 l23456"): O for 0, l for 1.
_NUM_TOKEN = re.compile(r"\+?[0-9ol]*[0-9][0-9ol]*(?![a-z])|[a-z]+")
_NUM_ITEM = (
    r"(?:\+?[0-9ol]*[0-9][0-9ol]*(?![a-z])|(?<![a-z])(?:zero|oh|o|nought|nil|one|two|three"
    r"|four|five|six|seven|eight|nine|wun|too|fowr|fore|sevn|sevan|ate|nien|double|triple"
    r"|treble|hundred|thousand)(?![a-z]))"
)
# where a phone number could be: numbers and number words, close together
_PHONE_RUN = re.compile(rf"(?<![a-z0-9+]){_NUM_ITEM}(?:[\s\-.,()/]{{0,4}}{_NUM_ITEM})*")
_NUM_GAP = re.compile(r"[\s\-.,()/]{0,4}")
_YEAR = re.compile(r"(?:19|20)\d\d")
_UK_PHONE = re.compile(r"07\d{9}|0[123]\d{8,9}")
# how a UK number (or one with the country code) can begin
_PHONE_START = re.compile(r"0(?:[1237]|0(?:4(?:4|$)|$)|$)|4(?:4|$)")

_DOT = r"(?:\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+|\s?\.\s?)"
_EMAIL_AT = re.compile(
    r"(?<![\w.%+'-])[a-z0-9][a-z0-9._%+-]{0,63}\s?@\s?[a-z0-9][a-z0-9-]{0,62}"
    r"(?:\s?\.\s?(?P<label>[a-z0-9][a-z0-9-]{0,62}))+"
)
# "name at gmail dot com", "name (at) gmail (dot) com": found from the "at"
_SPELLED_AT = re.compile(r"\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+")
_LOCAL_PART = re.compile(
    r"(?<![\w.%+'-])[a-z0-9][a-z0-9_%+-]{0,63}(?:\s+dot\s+[a-z0-9][a-z0-9_%+-]{0,63}){0,2}\Z"
)
_DOMAIN_PART = re.compile(
    rf"(?P<domain>[a-z0-9][a-z0-9-]{{0,62}})(?P<rest>(?:{_DOT}[a-z0-9][a-z0-9-]{{0,62}}){{0,3}})"
)
_DOT_SPLIT = re.compile(_DOT)
# fmt: off
_MAIL_PROVIDERS = frozenset((
    "gmail", "googlemail", "hotmail", "yahoo", "ymail", "outlook", "icloud", "aol",
    "btinternet", "protonmail", "msn", "live", "sky", "virginmedia", "talktalk",
))
_TLDS = frozenset((
    "com", "net", "org", "uk", "io", "ly", "gg", "tv", "app", "info", "biz", "ie",
    "online", "site", "xyz", "shop", "store", "dev", "link", "page", "blog", "me", "co",
))
# fmt: on
_URL_HINT = re.compile(
    r"https?:|www\.|\bdot\b|\.(?:com|net|org|uk|io|ly|gg|tv|app|info|biz|ie|online|site|xyz"
    r"|shop|store|dev|link|page|blog|me)(?![a-z0-9-])"
)
_URL_SCHEME = re.compile(r"(?<![\w.@])(?:https?://|www\.)[^\s<>\"']+")
_URL_BARE = re.compile(
    r"(?<![\w@.\-/])(?P<host>(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\.)+"
    r"(?P<tld>com|net|org|uk|io|ly|gg|tv|app|info|biz|ie|online|site|xyz|shop|store|dev"
    r"|link|page|blog|me))(?![\w-])(?P<path>/[^\s<>\"']*)?"
)
_URL_SPELLED = re.compile(
    r"(?<![\w.])[a-z0-9][a-z0-9-]{1,62}(?:\s*[(\[]\s*dot\s*[)\]]\s*|\s+dot\s+)"
    r"(?:com|co(?:\s*[(\[]\s*dot\s*[)\]]\s*|\s+dot\s+|\.)uk|org|net|uk|io)\b"
)
_HANDLE_AT = re.compile(r"(?<![\w@.])@(?P<name>[a-z0-9_](?:[a-z0-9_.]{0,29}[a-z0-9_])?)")
_PLATFORM_WORDS = re.compile(
    r"\b(?:insta|instagram|ig|snap|snapchat|tiktok|tik tok|facebook|fb|twitter|telegram"
    r"|whatsapp|threads|follow|add me|kik|discord)\b"
)
# fmt: off
_NOT_HANDLES = frozenset((
    "home", "work", "the", "mine", "yours", "night", "school", "nursery", "gym",
    "hospital", "everyone", "all", "here", "lunch", "dinner", "breakfast", "bedtime",
    "mums",
))
# fmt: on
_POSTCODE = re.compile(
    r"(?<![a-z0-9])[a-z]{1,2}[0-9][a-z0-9]?\s?[0-9](?!(?:nd|rd|th|st)\b)[abd-hjlnp-uw-z]{2}"
    r"(?![a-z0-9])"
)
_STREET = re.compile(
    r"(?<![\w.,:/£$])\d{1,4}[a-z]?,?\s+(?P<name>(?:[a-z][a-z']*\s+){0,2}?[a-z][a-z']*)\s+"
    r"(?:road|rd|street|st|avenue|ave|lane|ln|close|drive|crescent|cres|court|grove|gardens"
    r"|gdns|terrace|mews|square|parade|way)\b"
)
# fmt: off
_STREET_STOPWORDS = frozenset((
    "a", "an", "the", "of", "on", "in", "at", "to", "from", "for", "by", "with", "and",
    "or", "but", "up", "down", "off", "over", "into", "onto", "out", "my", "our", "your",
    "his", "her", "their", "its", "this", "that", "these", "those", "me", "us", "you",
    "him", "them", "it", "we", "they", "she", "he", "i", "is", "are", "was", "were", "be",
    "been", "am", "not", "no", "so", "very", "really", "quite", "too", "more", "less",
    "most", "much", "many", "few", "some", "any", "all", "other", "another", "same",
    "different", "whole", "entire", "next", "last", "first", "second", "third", "only",
    "just", "also", "even", "still", "again", "long", "short", "big", "small", "little",
    "tiny", "huge", "old", "new", "young", "good", "bad", "best", "better", "worse",
    "worst", "easy", "hard", "quick", "slow", "safe", "right", "wrong", "busy", "quiet",
    "day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours",
    "min", "mins", "minute", "minutes", "seconds", "time", "times", "mile", "miles",
    "metre", "metres", "meter", "meters", "km", "kms", "yard", "yards", "foot", "feet",
    "kid", "kids", "child", "children", "baby", "babies", "boy", "boys", "girl", "girls",
    "mum", "mums", "dad", "dads", "people", "steps", "step", "doors", "door", "houses",
    "lots", "loads", "bit", "bits", "half", "round", "around", "along", "across", "near",
    "past", "through",
))
# fmt: on


@dataclass(frozen=True, slots=True)
class _Entry:
    exception: bool
    spec: int
    left: bool
    right: bool
    phrase: bool
    collapsed: tuple[int, ...]


_BUILTIN_EXCEPTIONS = {
    "meet you at": ("nice to meet you", "lovely to meet you", "good to meet you"),
    "meet you in": ("nice to meet you", "lovely to meet you", "good to meet you"),
    # "the meet up at the children's centre": a group's own meeting
    "meet up at": ("the meet up at", "a meet up at", "group meet up at", "our meet up at"),
    "meet up in": ("the meet up in", "a meet up in", "group meet up in", "our meet up in"),
}


def _builtin_contact_specs() -> list[RuleSpec]:
    """Off-platform and social-handle phrases, matched like rules."""
    # Spacing does not matter to matching: "tiktok" also finds "tik tok".
    # fmt: off
    platforms = [
        "insta", "instagram", "ig", "snap", "snapchat", "tiktok", "facebook", "fb",
        "whatsapp", "telegram", "twitter", "kik", "discord", "viber", "wechat", "skype",
    ]
    # fmt: on
    handle_phrases: list[str] = []
    for p in platforms:
        handle_phrases += [
            f"my {p} is",
            f"my {p} name",
            f"my {p} handle",
            f"my {p} username",
            f"whats ur {p}",
            f"whats your {p}",
            f"what is your {p}",
            f"what is ur {p}",
            f"add me on {p}",
            f"find me on {p}",
            f"follow me on {p}",
            f"message me on {p}",
            f"msg me on {p}",
            f"dm me on {p}",
            f"are you on {p}",
            f"are u on {p}",
            f"have you got {p}",
            f"do you have {p}",
            f"on {p} as",
            f"{p} username",
            f"{p} handle",
        ]
    handle_phrases += [
        "snap me",
        "whatsapp me",
        "facebook me",
        "fb me",
        "telegram me",
        "kik me",
        "insta me",
    ]
    # Apps by nickname ("the ghost app", "the blue app with the f"): "the green one" alone
    # is a pram as often as an app, so only with a verb of finding or messaging.
    nicknames = [
        "the ghost app", "the ghost one", "the green app", "the green one", "the blue app",
        "the blue one", "the purple app", "the yellow app", "the photo app", "the picture app",
        "the camera app", "the other app", "the f app", "the app with the f",
        "the app with the ghost", "the blue app with the f", "the insta one",
    ]  # fmt: skip
    reach = [
        "message me on", "msg me on", "find me on", "im on", "i am on", "are you on",
        "add me on", "text me on", "chat on", "talk on", "same name on",
        "same name as here on", "look me up on", "follow me on", "dm me on",
    ]  # fmt: skip
    handle_phrases += [f"{verb} {nick}" for verb in reach for nick in nicknames]
    handle_phrases += [
        "the ghost app",
        "the app with the ghost",
        "the blue app with the f",
        "the app with the f",
        "same name as here",
        "same name as on here",
        "same username as here",
        "same as here on",
    ]
    handle_phrases += [f"{p} same name" for p in platforms]
    handle_phrases += [f"{p} same as here" for p in platforms]
    off_platform = [
        "add me on",
        "add me back",
        "add me as a friend",
        "send me a friend request",
        "accept my friend request",
        "dm me",
        "pm me",
        "inbox me",
        "private message me",
        "message me privately",
        "message me on",
        "msg me on",
        "text me on",
        "text me at",
        "text me anytime",
        "text me any time",
        "you can text me",
        "u can text me",
        "just text me",
        "feel free to text me",
        "text me if you",
        "text me if u",
        "text me when you",
        "ring me on",
        "ring me anytime",
        "ring me any time",
        "you can ring me",
        "just ring me",
        "call me on",
        "phone me on",
        "facetime me",
        "give me a ring",
        "give me a call",
        "give me a text",
        "drop me a text",
        "drop me a message",
        "drop me an email",
        "email me",
        "e mail me",
        "my email is",
        "my email address",
        "swap numbers",
        "exchange numbers",
        "share numbers",
        "swap details",
        "exchange details",
        "swap contact details",
        "give me your number",
        "give me ur number",
        "send me your number",
        "send me ur number",
        "whats your number",
        "whats ur number",
        "what is your number",
        "can i have your number",
        "can i have ur number",
        "can i get your number",
        "can i get ur number",
        "my number is",
        "heres my number",
        "here is my number",
        "my mobile is",
        "my mobile number",
        "my phone number",
        "my address is",
        "my postcode is",
        "my post code is",
        "find me on",
        "follow me on",
        "look me up on",
        "meet up at",
        "meet up in",
        "meet up with me",
        "meet up sometime",
        "meet up some time",
        "meet up one day",
        "we should meet up",
        "lets meet up",
        "shall we meet up",
        "fancy meeting up",
        "want to meet up",
        "wanna meet up",
        "meet me at",
        "meet me in",
        "meet you at",
        "meet you in",
        "meet in person",
        "meet irl",
        "meet in real life",
        "meet for a coffee",
        "meet for coffee",
        "meet for a walk",
        "meet at the park",
        "meet in the park",
        "come round to mine",
        "come round mine",
        "come over to mine",
        "pop round to mine",
        "pop over to mine",
        "come to my house",
        "come to mine",
        "off this app",
        "off the app",
        "outside the app",
        "outside of the app",
        "outside of here",
    ]
    specs = [
        RuleSpec(HANDLE, term, "contact", "AMBER", "hold") for term in dict.fromkeys(handle_phrases)
    ]
    specs += [
        RuleSpec(
            OFF_PLATFORM,
            term,
            "contact",
            "AMBER",
            "hold",
            _BUILTIN_EXCEPTIONS.get(term, ()),
        )
        for term in dict.fromkeys(off_platform)
    ]
    return specs


_BUILTIN_CONTACT_SPECS = tuple(_builtin_contact_specs())

_DETECTOR_TERMS = {
    PHONE: "phone number",
    EMAIL: "email address",
    URL: "web address",
    HANDLE: "social handle",
    ADDRESS: "postal address",
}


# --- denials, helplines' signposts, emoji and private meetings -------------------------------

EMOJI = "self_harm:emoji"
RISK_DETECTORS = (EMOJI,)

# A hit in these categories is not her own risk when she denies it ("I'm not suicidal",
# "I'd never hurt myself", "no thoughts of harming myself") or when a helpline is named
# and the hit is what the helpline is for ("if you're not safe at home, the National
# Domestic Abuse Helpline is ..."). Narrow on purpose: the denial must come straight
# before the hit, in the same clause, and it lowers only when nothing else matches.
_DENIABLE = frozenset(("self_harm", "baby_harm", "psychosis", "abuse_dv"))
_FILLER = (
    r"(?:feeling|felt|having|had|have|got|get|any|even|ever|at all|been|really|actually"
    r"|honestly|remotely|a|like|the|that|of|in|thinking(?: of| about)?|thought(?: of| about)?"
    r"|thoughts?(?: of| about)?|going to|about to|planning(?: to| on)?|plans? to"
    r"|intentions? (?:of|to)|urges? to|desire to|any urges? to|ideas? of|way)"
)
_DENIAL = re.compile(
    rf"(?:^|\s)(?:not|never|no|zero|didnt|havent|hasnt|wouldnt|wont|isnt|wasnt|dont have"
    rf"|dont feel|dont get)(?:\s+{_FILLER}){{0,4}}\s*$"
)
# "can't promise I'm not going to ...", "I lied and said I'm not suicidal"
_NOT_A_DENIAL = re.compile(
    r"\b(?:cant promise|not sure|dont know|unless|what if|scared|afraid|worried|frightened"
    r"|terrified|pretend|pretending|lie|lied|lying|try|trying|tried|struggling|hard|fighting"
    r"|motivation|reason|reasons|willpower)\b"
)
# "never thought about suicide until now", "not suicidal before this week"; and a past
# told as history, which is AMBER: "no self harm since I was 17", "for 6 years"
_DENIAL_UNDONE = re.compile(
    r"\s*(?:until|till|til|before|but now|any more than|since|for \d+|in \d+|for (?:a|two"
    r"|three|four|five|six|ten) (?:years?|months?))\b"
)
_CLAUSE_END = re.compile(r".*(?:[.!?;:,(\"]|\bbut\b|\bthough\b|\bso\b)", re.DOTALL)
# Someone else's words or a question about her: "the HV asked if I'd had thoughts of
# harming myself and honestly no", "if a mum tells you about thoughts of harming baby".
_ASKED = re.compile(r"\basked (?:me )?(?:if|whether|about)\b")
_ANSWERED_NO = re.compile(r"\b(?:no|nope|said no|not at all)\b")
_BUT = re.compile(r"\b(?:but|though|i have|i do)\b")
_SOMEONE_ELSE = re.compile(
    r"\b(?:ask|asking|asked) (?:someone|somebody|a mum|mums|them|people|anyone|the mum)"
    r" (?:if|whether|about)\b|\bif (?:a mum|a member|someone|somebody|a woman|she)"
    r" (?:tells you|says|mentions|posts|writes|talks)\b|\b(?:a|the) mum (?:saying|says"
    r"|who says|tells you)\b"
)
_SIGNPOSTS = re.compile(
    r"\b(?:samaritans|ask for ani|shout|85258|116 ?123|refuge|womens aid|helpline|help line"
    r"|crisis line|crisis team|0808 ?2000 ?247|999|111|nhs 111|pandas|nspcc|childline|rape crisis"
    r"|papyrus|hopeline|mind infoline)\b"
)
_SIGNPOST_FRAME = re.compile(
    r"\bif (?:you|youre|you are|anyone|anyones|anyone is|anyone here is|someone|someones"
    r"|a mum|a mums|she|shes)(?:\s+(?:ever|feel|feeling|feels|are|is|ever feel|think|thinking"
    r"|having|have|been|start|starting|get|getting|thoughts? (?:of|about)))*\s*$"
)


def _not_her_own(spaced: str, x0: int, x1: int, signposting: bool) -> bool:
    """Whether the hit at [x0, x1) is denied, or a helpline's signpost."""
    before = spaced[max(0, x0 - 120) : x0]
    clause = _CLAUSE_END.match(before)
    if clause is not None:
        before = before[clause.end() :]
    before = before.strip()
    if signposting and _SIGNPOST_FRAME.search(before):
        return True
    if _SOMEONE_ELSE.search(before):
        return True
    if _ASKED.search(before):
        answer = _ANSWERED_NO.search(spaced, x1, x1 + 60)
        return answer is not None and not _BUT.search(spaced, answer.end())
    if not _DENIAL.search(before) or _NOT_A_DENIAL.search(before):
        return False
    return _DENIAL_UNDONE.match(spaced, x1) is None


# Emoji that stand for a method or a farewell. One alone is everyday ("🔪 chopping
# onions", "🩸 day two, tmi"); it counts, as self_harm RED, only beside words of risk or
# time ("soon", "tonight", "again", "goodbye") or doubled (💊💊), and not in a message
# that reads as everyday (periods, cooking, vitamins).
RISK_EMOJI = {
    "🪦": "headstone",
    "⚰": "coffin",
    "⚱": "urn",
    "💊": "pills",
    "🔪": "knife",
    "🩸": "blood",
    "🌉": "bridge",
    "🪢": "rope",
    "🔫": "gun",
}
_DOUBLED = frozenset("💊🩸🔪")
# fmt: off
_RISK_CONTEXT = frozenset((
    "soon", "tonight", "ready", "goodbye", "bye", "done", "forever", "again", "sorry",
    "forgive", "enough", "end", "over", "myself", "gone", "deeper", "tempting", "tempted",
    "want", "plan", "planning", "stood", "jump", "arms", "arm", "wrists", "thighs", "legs",
    "cant", "everyone", "anymore", "last", "sleep", "out", "die", "dead", "it",
))
_EVERYDAY_CONTEXT = frozenset((
    "period", "periods", "tmi", "cook", "cooking", "cooked", "chop", "chopping", "dinner",
    "tea", "lunch", "veg", "onion", "onions", "halloween", "costume", "vitamin",
    "vitamins", "folic", "iron", "test", "tests", "bloods", "nosebleed", "donate",
    "donating", "donor", "prescription", "pharmacy", "chemist", "antibiotics", "calpol",
    "ibuprofen", "sertraline", "citalopram", "fluoxetine", "contraceptive", "photo", "pic",
    "view", "sunset", "walk", "walked", "film", "movie", "book", "game", "show", "episode",
    "lochia", "bleeding", "spotting", "show", "cake", "bread", "knife block",
))
# fmt: on
_EMOJI_RUN = re.compile("[" + "".join(RISK_EMOJI) + "]+")


def _emoji_in_risk_context(stream: Stream, found: list[Match]) -> list[Match]:
    chars, starts, ends, _ = stream
    spaced = "".join(chars)
    if not any(e in spaced for e in RISK_EMOJI):
        return []
    if any(m.category == "self_harm" and m.level == "RED" for m in found):
        return []  # flagged already
    words = [(w.group(), w.start()) for w in _WORD.finditer(spaced)]
    if any(w in _EVERYDAY_CONTEXT for w, _ in words):
        return []
    out = []
    for run in _EMOJI_RUN.finditer(spaced):
        a, b = run.span()
        doubled = any(run.group().count(e) > 1 for e in _DOUBLED)
        before = [w for w, at in words if at < a][-4:]
        after = [w for w, at in words if at >= b][:4]
        if not doubled and _RISK_CONTEXT.isdisjoint(before + after):
            continue
        names = ", ".join(dict.fromkeys(RISK_EMOJI[e] for e in run.group() if e in RISK_EMOJI))
        out.append(
            Match(EMOJI, f"emoji ({names})", "self_harm", "RED", "default", starts[a], ends[b - 1])
        )
    return out


# "meet up after group, just us", "coffee thursday? just the two of us", "don't tell the
# others": a private meeting, which a peer group keeps off (contact, held).
_PRIVATE = re.compile(
    r"\b(?:just (?:the two of us|the 2 of us|us two|us 2|us|you and me|you and i|me and you"
    r"|me n you)|without (?:telling )?the others|dont tell (?:the others|the group|anyone"
    r"|anybody|the volunteers?|the coordinators?|the admins?|the mods)|keep (?:it|this)"
    r" between us|between you and me|our (?:little )?secret)\b"
)
_MEETING = re.compile(
    r"\b(?:meet|meet up|come round|come over|pop round|pop over|my place|my house|your place"
    r"|your house|pick you up|playdate|play date"
    r"|(?:after|before) (?:the |baby |mums |our )?group)\b|☕"
)
_MEETING_ASKED = re.compile(r"\b(?:coffee|cuppa|walk|park|lunch|drink|soft play)\b")


_PRIVATE_HINTS = ("just ", "the others", "dont tell", "between", "secret")


def _private_meetings(stream: Stream) -> list[Match]:
    chars, starts, ends, _ = stream
    spaced = "".join(chars)
    if not any(hint in spaced for hint in _PRIVATE_HINTS):
        return []
    found = _PRIVATE.search(spaced)
    if found is None:
        return []
    rest = spaced[: found.start()] + " " + spaced[found.end() :]
    if not (_MEETING.search(rest) or ("?" in spaced and _MEETING_ASKED.search(rest))):
        return []
    return [
        Match(
            OFF_PLATFORM,
            "private meeting",
            "contact",
            "AMBER",
            "hold",
            starts[found.start()],
            ends[found.end() - 1],
        )
    ]


# --- the scanner ----------------------------------------------------------------------------


class Scanner:
    """All the rules as one automaton; `scan` finds them in a message."""

    def __init__(self, rules: Iterable[RuleSpec], *, detect_contact: bool = True):
        self.detect_contact = detect_contact
        specs = list(rules)
        if detect_contact:
            specs += _BUILTIN_CONTACT_SPECS
        self._specs = specs
        keys: dict[str, list[_Entry]] = {}

        def add(phrase: object, index: int, exception: bool) -> bool:
            prepared = _prepare(phrase) if isinstance(phrase, str) else None
            if prepared is None:
                return False
            left, right, key, is_phrase = prepared
            keys.setdefault(key, []).append(_Entry(exception, index, left, right, is_phrase, ()))
            for variant, marks in _single_double_variants(key):
                keys.setdefault(variant, []).append(
                    _Entry(exception, index, left, right, is_phrase, marks)
                )
            return True

        for index, spec in enumerate(specs):
            if add(spec.term, index, False):
                for exception in spec.exceptions or ():
                    add(exception, index, True)
        self._automaton = None
        if keys:
            automaton = ahocorasick.Automaton()
            for key, entries in keys.items():
                automaton.add_word(key, (len(key), tuple(entries)))
            automaton.make_automaton()
            self._automaton = automaton
        self.rule_count = len(specs)
        self.key_count = len(keys)

    # -- scanning --

    def scan(self, text: str) -> list[Match]:
        if not text:
            return []
        a_chars, a_starts, a_ends = _fold(text)
        found: list[Match] = []
        not_own: set[int] = set()  # indices in `found` of denied or signposting hits
        stream = _message_stream(a_chars, a_starts, a_ends)
        if self._automaton is not None:
            found += self._scan_rules(stream, not_own)
        found += _emoji_in_risk_context(stream, found)
        if self.detect_contact:
            found += self._detect_contact(text, "".join(a_chars), a_starts, a_ends)
            found += _private_meetings(stream)
        if not_own and len(not_own) == len(found):
            # Every hit is denied ("I'm not suicidal") or a helpline's signpost ("if you're
            # not safe at home, ring ..."): kept, at GREEN, to show what was read. A denial
            # beside any other match lowers nothing.
            found = [replace(m, level="GREEN", action="default") for m in found]
        unique: dict[tuple, Match] = {}
        for match in found:  # at most one match per (rule, span)
            unique.setdefault((match.rule, match.start, match.end), match)
        return sorted(
            unique.values(),
            key=lambda m: (m.start, m.end, _LEVEL_ORDER.get(m.level, 9), str(m.rule)),
        )

    def _scan_rules(self, stream: Stream, not_own: set[int]) -> list[Match]:
        """The rules' hits; adds to `not_own` the indices of denied or signposting hits."""
        automaton = self._automaton
        if automaton is None:  # no rule has a keyword
            return []
        b_chars, b_starts, b_ends, b_flags = stream
        n = len(b_chars)
        spaced = "".join(b_chars)
        squeezed = spaced.replace(" ", "")
        if not squeezed:
            return []
        positions: list[int] = []
        hits: list[tuple[int, int, int]] = []
        excepted: dict[int, list[tuple[int, int]]] = {}
        for end, (length, entries) in automaton.iter(squeezed):
            if not positions:
                positions = [k for k, c in enumerate(spaced) if c != " "]
            first = end - length + 1
            b0 = positions[first]
            b1 = positions[end] + 1
            spans_space = b1 - b0 != length
            # inside a run of joined single letters ("i w a n t t o d i e") any
            # letter may start or end a word
            starts_word = (
                b0 == 0 or not _is_word(b_chars[b0 - 1]) or b_flags[b0] & b_flags[b0 - 1] & _JOINED
            )
            ends_word = (
                b1 == n or not _is_word(b_chars[b1]) or b_flags[b1 - 1] & b_flags[b1] & _JOINED
            )
            for entry in entries:
                if spans_space and not entry.phrase:
                    continue
                if not entry.left and not starts_word:
                    continue
                if not entry.right and not ends_word:
                    continue
                if entry.collapsed and not all(
                    b_flags[positions[first + mark]] & _COLLAPSED for mark in entry.collapsed
                ):
                    continue
                x0, x1 = b0, b1
                if entry.left:
                    while x0 > 0 and _is_word(b_chars[x0 - 1]):
                        x0 -= 1
                if entry.right:
                    while x1 < n and _is_word(b_chars[x1]):
                        x1 += 1
                if entry.exception:
                    excepted.setdefault(entry.spec, []).append((x0, x1))
                else:
                    hits.append((entry.spec, x0, x1))
        out: list[Match] = []
        signposting: bool | None = None  # whether a helpline is named, read when needed
        for index, x0, x1 in hits:
            if any(e0 <= x0 and x1 <= e1 for e0, e1 in excepted.get(index, ())):
                continue
            spec = self._specs[index]
            if spec.category in _DENIABLE:
                if signposting is None:
                    signposting = _SIGNPOSTS.search(spaced) is not None
                if _not_her_own(spaced, x0, x1, signposting):
                    not_own.add(len(out))
            out.append(
                Match(
                    spec.id,
                    spec.term,
                    spec.category,
                    spec.level,
                    spec.action,
                    b_starts[x0],
                    b_ends[x1 - 1],
                )
            )
        return out

    # -- contact details --

    def _detect_contact(
        self, text: str, folded: str, starts: list[int], ends: list[int]
    ) -> list[Match]:

        spans: list[tuple[str, int, int]] = []  # (detector, start, end) in `folded`
        spans += [(PHONE, s, e) for s, e in _phones(folded)]
        emails = [(s, e) for s, e in _emails(folded)]
        spans += [(EMAIL, s, e) for s, e in emails]
        for s, e in _urls(folded):
            if not any(s < ee and ss < e for ss, ee in emails):
                spans.append((URL, s, e))
        spans += [(HANDLE, s, e) for s, e in _handles(text, folded, starts)]
        spans += [(ADDRESS, s, e) for s, e in _addresses(folded)]
        return [
            Match(
                detector,
                _DETECTOR_TERMS[detector],
                "contact",
                "AMBER",
                "hold",
                starts[s],
                ends[e - 1],
            )
            for detector, s, e in spans
            if e > s
        ]


def _is_phone(digits: str, plus: bool) -> bool:
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and (plus or len(digits) >= 12):
        digits = "0" + digits[2:]
    elif plus:
        return 9 <= len(digits) <= 15 and digits not in HELPLINE_NUMBERS
    if digits.startswith("00"):
        digits = digits[1:]  # +44 (0)7911 ...
    if digits in HELPLINE_NUMBERS:
        return False
    return _UK_PHONE.fullmatch(digits) is not None


# A number given in pieces ("seven nine five oh... and then the rest is 22 43 18 1")
# is a phone number when the message says it is one.
# (cue, how many digits make it a number): a cue that says "this is my number" needs
# fewer than one that only asks to be rung ("ring me at 10 30" is a time).
_TIME_BEFORE = re.compile(r"\b(?:at|from|till|til|until|by|since|about|around)\s*$")
_PHONE_CUES = (
    (
        re.compile(
            r"\b(?:my number|my num|num is|number is|my digits|my mob|mob|my mobile|the rest"
            r" of my|the rest is|end of my number|my last four|in your phone as|thats my number)"
            r"\b"
        ),
        5,
    ),
    (re.compile(r"\b(?:ring me|call me|text me|txt me|whatsapp me)\b"), 8),
)


def _phones(folded: str) -> list[tuple[int, int]]:
    """UK phone numbers in digits, words ("oh seven nine...") or both."""
    found = []
    for m in _PHONE_RUN.finditer(folded):
        if sum(c.isdigit() for c in m.group()) + m.group().count(" ") >= 8:
            found += _phones_in(folded, m.start(), m.end())
    if found:
        return found
    needed = min((n for cue, n in _PHONE_CUES if cue.search(folded)), default=None)
    if needed is not None:
        pieces = [
            (m.span(), _digit_count(folded, m.start(), m.end()))
            for m in _PHONE_RUN.finditer(folded)
            if not _TIME_BEFORE.search(folded, 0, m.start())  # "fed at 10 30"
        ]
        spans = [span for span, count in pieces if count >= 2]
        if spans and sum(count for _, count in pieces if count >= 2) >= needed:
            found.append((spans[0][0], spans[-1][1]))
    return found


def _digit_count(folded: str, pos: int, endpos: int) -> int:
    """How many digits a run of numbers and number words stands for."""
    count = 0
    times = 1
    for token in _NUM_TOKEN.finditer(folded, pos, endpos):
        word = token.group()
        if word in _MULTIPLIERS:
            times = _MULTIPLIERS[word]
        elif word in _NUMBER_WORDS:
            count += times
            times = 1
        elif word[0] in "+0123456789" or word[0] in "ol":
            count += sum(c.isdigit() or c in "ol" for c in word)
            times = 1
    return count


def _phones_in(folded: str, pos: int, endpos: int) -> list[tuple[int, int]]:
    runs: list[list[tuple[str, int, int, bool, bool]]] = []
    run: list[tuple[str, int, int, bool, bool]] = []  # (digits, start, end, plus, is_word)
    last_end = -1
    multiplier: tuple[int, int] | None = None  # (times, start)
    for token in _NUM_TOKEN.finditer(folded, pos, endpos):
        word = token.group()
        start, end = token.span()
        if (run or multiplier) and not _NUM_GAP.fullmatch(folded, last_end, start):
            if run:
                runs.append(run)
            run, multiplier = [], None
        if word in _MULTIPLIERS:
            multiplier = (_MULTIPLIERS[word], start)
            last_end = end
            continue
        if word in _HUNDREDS and run and len(run[-1][0]) == 1 and not multiplier:
            digits, first, _, plus, is_word = run[-1]
            run[-1] = (digits + _HUNDREDS[word], first, end, plus, is_word)
            last_end = end
            continue
        if word[0] in "+0123456789" or (word[0] in "ol" and any(c.isdigit() for c in word)):
            digits = word.lstrip("+").replace("o", "0").replace("l", "1")
            plus, is_word = word.startswith("+"), False
        elif word in _NUMBER_WORDS:
            digits, plus, is_word = _NUMBER_WORDS[word], False, True
        else:
            if run:
                runs.append(run)
            run, multiplier = [], None
            continue
        if multiplier:
            if len(digits) != 1:
                if run:
                    runs.append(run)
                run, multiplier = [], None
                continue
            digits = digits * multiplier[0]
            start = multiplier[1]
            multiplier = None
        run.append((digits, start, end, plus, is_word))
        last_end = end
    if run:
        runs.append(run)

    found = []
    for run in runs:
        if sum(len(t[0]) for t in run) < 9:
            continue
        i = 0
        while i < len(run):
            digits, start, _, plus, is_word = run[i]
            if not (plus or digits[0] in "04"):
                i += 1
                continue
            if (
                len(digits) == 2
                and not (is_word or plus)
                and i + 1 < len(run)
                and (digits != "07" or any(_YEAR.fullmatch(t[0]) for t in run[i + 1 :]))
            ):
                # "01 02 2024 10 30": dates and times, not a phone's first group; but a
                # mobile's "07" split off ("07 9 11 12 34 56") where no year follows
                i += 1
                continue
            acc, best = "", None
            for j in range(i, len(run)):
                acc += run[j][0]
                if len(acc) > 15 or not (plus or _PHONE_START.match(acc)):
                    break
                if len(acc) >= 9 and _is_phone(acc, plus):
                    best = j
            if best is None:
                i += 1
                continue
            found.append((start, run[best][2]))
            i = best + 1
    return found


def _emails(folded: str) -> list[tuple[int, int]]:
    found = []
    if "@" in folded:
        found = [
            m.span()
            for m in _EMAIL_AT.finditer(folded)
            # "sam @ example . com": with spaces, only when it ends like an address
            if not any(c.isspace() for c in m.group()) or m.group("label") in _TLDS
        ]
    if " at" not in folded and "(at" not in folded and "[at" not in folded:
        return found
    for at in _SPELLED_AT.finditer(folded):
        after = _DOMAIN_PART.match(folded, at.end())
        if after is None:
            continue
        domain = after.group("domain")
        parts = [p for p in _DOT_SPLIT.split(after.group("rest")) if p]
        tld = parts[-1] if parts else None
        if at.group().strip() != "at":  # (at) [at]
            ok = bool(parts) or domain in _MAIL_PROVIDERS
        else:  # the word "at": only an evident address
            ok = (domain in _MAIL_PROVIDERS and (not parts or tld in _TLDS)) or (
                bool(parts) and tld in _TLDS and parts[0] in _TLDS
            )
        if not ok:
            continue
        local = _LOCAL_PART.search(folded, max(0, at.start() - 220), at.start())
        if local is None or any(s < after.end() and local.start() < e for s, e in found):
            continue
        found.append((local.start(), after.end() if parts else after.start() + len(domain)))
    return found


def _safe_host(host: str) -> bool:
    host = host.lower().removeprefix("www.")
    return any(host == d or host.endswith("." + d) for d in SAFE_DOMAINS)


def _urls(folded: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    if not _URL_HINT.search(folded):
        return found
    for m in _URL_SCHEME.finditer(folded):
        url = m.group().rstrip(".,!?;:)]}")
        host = re.sub(r"^(?:https?://)?", "", url).split("/")[0].split(":")[0]
        if "." not in host or _safe_host(host):
            continue
        found.append((m.start(), m.start() + len(url)))
    for m in _URL_BARE.finditer(folded):
        host, tld, path = m.group("host"), m.group("tld"), m.group("path")
        labels = host.split(".")
        if all(label.isdigit() for label in labels[:-1]):
            continue
        if tld == "me" and not path:
            continue
        if _safe_host(host):
            continue
        if any(s <= m.start() < e for s, e in found):
            continue
        end = m.end() if path else m.end("host")
        if path:
            end = m.start("path") + len(path.rstrip(".,!?;:)]}"))
        found.append((m.start(), end))
    for m in _URL_SPELLED.finditer(folded) if " dot" in folded else ():
        if not any(s <= m.start() < e for s, e in found):
            found.append(m.span())
    return found


def _handles(text: str, folded: str, starts: list[int]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    if "@" not in folded:
        return found
    platform_context = _PLATFORM_WORDS.search(folded) is not None
    for m in _HANDLE_AT.finditer(folded):
        name = m.group("name")
        if not any(c.isalpha() for c in name):
            continue
        if name.isalpha() and not platform_context:
            if name in _NOT_HANDLES:
                continue
            # "@Sarah thank you", "thanks @jo!": addressing someone in the room.
            original_first = text[starts[m.start("name")]]
            after = folded[m.end() : m.end() + 1]
            at_start = not folded[: m.start()].strip()
            if len(name) <= 8 or (
                len(name) <= 12 and (original_first.isupper() or at_start or after in (",", ":"))
            ):
                continue
        found.append(m.span())
    return found


# A clinic's or a children's centre's postcode, for the sat nav, is not her address.
_PUBLIC_PLACE = re.compile(
    r"\b(?:sat ?nav|health centre|childrens centre|children's centre|clinic|hospital|surgery"
    r"|library|leisure centre|church|community centre|village hall|drop-in|drop in)\b"
)
_HER_PLACE = re.compile(r"\b(?:my|mine|our|we live|i live)\b")


def _addresses(folded: str) -> list[tuple[int, int]]:
    found = [m.span() for m in _POSTCODE.finditer(folded)]
    if found and _PUBLIC_PLACE.search(folded) and not _HER_PLACE.search(folded):
        found = []
    for m in _STREET.finditer(folded):
        words = m.group("name").split()
        if any(w in _STREET_STOPWORDS for w in words):
            continue
        found.append(m.span())
    return found
