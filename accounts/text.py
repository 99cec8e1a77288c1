"""What a piece of text shows: hidden characters, visible ones, and its look-alike skeleton.

One classification for display names (accounts) and message bodies (chat), so
that what one refuses the other refuses too. Pure Python: no Django here.

Hidden characters are those a reader cannot see but that change what she
reads: direction controls (a bidi override turns "evil.exe" around), zero-width
and other format characters, control, private-use and surrogate code points,
line and paragraph separators, and a few letters and marks that draw nothing
(the Hangul fillers, the braille blank). The zero-width joiners are not hidden
where writing needs them: inside an emoji sequence (👩‍👧) and between the
letters of scripts that use them (Farsi, Urdu, Bengali, ...).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

ZWNJ = "\u200c"
ZWJ = "\u200d"
VARIATION_SELECTORS = frozenset(
    [chr(c) for c in range(0xFE00, 0xFE10)] + [chr(c) for c in range(0xE0100, 0xE01F0)]
)
# Embeddings, overrides and isolates (and the marks LRM, RLM, ALM): they
# reorder what follows without showing themselves.
DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")
DIRECTION_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") | (
    DIRECTION_MARKS
)
# Not format characters by category, yet they draw nothing.
BLANK_LETTERS = frozenset(
    "\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f"
)
# Not "Cn" (unassigned): to this Python's Unicode tables a newer emoji (🩷,
# Unicode 15) is unassigned, and phones draw it.
HIDDEN_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cs", "Zl", "Zp"})
# Scripts whose writing uses ZWNJ/ZWJ between letters (judged by the letter's
# Unicode name).
JOINING_SCRIPTS = (
    "ARABIC",
    "SYRIAC",
    "NKO",
    "DEVANAGARI",
    "BENGALI",
    "GURMUKHI",
    "GUJARATI",
    "ORIYA",
    "TAMIL",
    "TELUGU",
    "KANNADA",
    "MALAYALAM",
    "SINHALA",
    "MONGOLIAN",
    "KHMER",
    "MYANMAR",
)
TAG_LETTERS = frozenset(chr(c) for c in [*range(0xE0030, 0xE003A), *range(0xE0061, 0xE007B)])
CANCEL_TAG = "\U000e007f"
BLACK_FLAG = "\U0001f3f4"
SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or char in SKIN_TONES


def _in_joining_script(char: str) -> bool:
    if unicodedata.category(char)[0] not in "LM":
        return False
    return unicodedata.name(char, "").startswith(JOINING_SCRIPTS)


def _joiner_is_writing(text: str, index: int) -> bool:
    # Before the joiner: the emoji or letter it joins, past any variation
    # selector or skin tone that belongs to it.
    before = index - 1
    while before >= 0 and (text[before] in VARIATION_SELECTORS or text[before] in SKIN_TONES):
        before -= 1
    if before < 0 or index + 1 >= len(text):
        return False
    first, second = text[before], text[index + 1]
    if text[index] == ZWJ and _is_emoji(first) and _is_emoji(second):
        return True
    return _in_joining_script(first) and _in_joining_script(second)


def _flag_tags_end(text: str, index: int) -> int | None:
    """Where a subdivision flag's tag sequence (🏴 + tags + cancel) that starts at `index` ends."""
    end = index
    while end < len(text) and text[end] in TAG_LETTERS:
        end += 1
    if 2 <= end - index <= 6 and end < len(text) and text[end] == CANCEL_TAG:
        return end + 1
    return None


def _has_right_to_left_letters(text: str) -> bool:
    # Letters only: RLM itself is of the right-to-left class.
    return any(
        unicodedata.category(char)[0] == "L" and unicodedata.bidirectional(char) in ("R", "AL")
        for char in text
    )


def hidden_characters(text: str) -> list[str]:
    """The hidden characters in `text` (see the module's docstring), in order.

    The direction marks (LRM, RLM, ALM) are writing, not hiding, in text that
    has right-to-left letters (Arabic, Farsi, Urdu, Hebrew): they place its
    punctuation. The overrides, embeddings and isolates never are.
    """
    hidden: list[str] = []
    right_to_left = _has_right_to_left_letters(text)
    index = 0
    while index < len(text):
        char = text[index]
        if index and text[index - 1] == BLACK_FLAG and char in TAG_LETTERS:
            end = _flag_tags_end(text, index)
            if end is not None:
                index = end
                continue
        if char in (ZWNJ, ZWJ):
            if not _joiner_is_writing(text, index):
                hidden.append(char)
        elif char in DIRECTION_MARKS and right_to_left:
            pass
        # Tabs and new lines are controls too, but a reader sees what they do.
        elif char not in "\n\r\t" and (
            char in DIRECTION_CONTROLS
            or char in BLANK_LETTERS
            or unicodedata.category(char) in HIDDEN_CATEGORIES
        ):
            hidden.append(char)
        index += 1
    return hidden


def has_visible_character(text: str) -> bool:
    """True if something in `text` draws ink: not only spaces, marks and hidden characters."""
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or char in BLANK_LETTERS or char in VARIATION_SELECTORS:
            continue
        if category in HIDDEN_CATEGORIES or category in ("Mn", "Me"):
            continue
        return True
    return False


# --- look-alikes -------------------------------------------------------------


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Each character that has a look-alike prototype -> that prototype (UTS #39).

    From the Unicode confusables data that confusable_homoglyphs ships. That
    data lists each pair both ways; the direction is recovered from its shape:
    a prototype is what many characters map to, a source maps to exactly one
    thing (for a lone pair, the lower code point is taken as the prototype).
    """
    from confusable_homoglyphs.confusables import confusables_data

    def plain(look_alike: dict) -> str:
        return "".join(c for c in look_alike["c"] if c not in DIRECTION_CONTROLS)

    mapping: dict[str, str] = {}
    for char, look_alikes in confusables_data.items():
        if len(char) != 1 or len(look_alikes) != 1:
            continue
        target = plain(look_alikes[0])
        if not target or target == char:
            continue
        back = confusables_data.get(target, [])
        if len(target) == 1 and len(back) == 1 and plain(back[0]) == char and target > char:
            continue  # a lone pair: `char` is the prototype
        mapping[char] = target
    return mapping


def _map(text: str) -> str:
    prototypes = _prototypes()
    return "".join(prototypes.get(char, char) for char in text)


def skeleton(text: str) -> str:
    """What `text` looks like, for comparing: equal skeletons read alike.

    NFKC (full-width and styled letters become plain ones), hidden characters,
    variation selectors and accents dropped, every character replaced by its
    look-alike prototype (before case folding too, so that a capital "I" reads
    as "l"), then case folded: "Vａl", "VAL", "VaI" and Cyrillic "Vаl" all
    give the skeleton of "Val". Spaces stay; see `words` and `collapsed`.
    """
    text = unicodedata.normalize("NFKC", text)
    hidden = set(hidden_characters(text)) | {ZWJ, ZWNJ} | DIRECTION_MARKS
    text = "".join(
        char
        for char in unicodedata.normalize("NFD", text)
        if char not in hidden
        and char not in VARIATION_SELECTORS
        and unicodedata.category(char) != "Mn"
    )
    for _ in range(2):  # case folding can make a character that maps again
        text = _map(text).casefold()
    return unicodedata.normalize("NFC", text)


def _separator(char: str) -> bool:
    # A character that draws like a letter or digit ("|" for "l") joins a word.
    return not char.isalnum()


def words(text: str) -> list[str]:
    """The skeletons of the words of `text` (split at spaces and punctuation)."""
    shape = skeleton(text)
    return "".join(" " if _separator(char) else char for char in shape).split()


def collapsed(text: str) -> str:
    """The skeleton of `text` without spaces or punctuation ("V. a l" reads as "Val")."""
    return "".join(words(text))
