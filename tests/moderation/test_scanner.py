"""The keyword scanner and the default rules (pure Python: no database, no Django)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from moderation.default_rules import DEFAULT_RULES
from moderation.scanner import CONTACT_DETECTORS, Match, RuleSpec, Scanner, normalise

EXAMPLES = Path(__file__).with_name("moderation-examples.tsv")
CATEGORIES = ("self_harm", "baby_harm", "psychosis", "abuse_dv", "contact", "hostility")
LEVEL_ORDER = {"RED": 0, "AMBER": 1, "GREEN": 2}


def default_specs() -> list[RuleSpec]:
    return [
        RuleSpec(
            id=index,
            term=rule["term"],
            category=rule["category"],
            level=rule["level"],
            action=rule["action"],
            exceptions=tuple(rule["exceptions"]),
        )
        for index, rule in enumerate(DEFAULT_RULES)
    ]


DEFAULTS = Scanner(default_specs())
KILL_MYSELF = RuleSpec("km", "kill myself", "self_harm", "RED")
SUICIDE = RuleSpec("su", "suicide", "self_harm", "RED")
DIE = RuleSpec("die", "die", "self_harm", "RED")
KEYWORDS = Scanner([KILL_MYSELF, SUICIDE, DIE], detect_contact=False)


def terms(scanner: Scanner, text: str) -> set[str]:
    return {m.term for m in scanner.scan(text)}


def categories(text: str) -> set[str]:
    return {m.category for m in DEFAULTS.scan(text)}


def top_level(text: str, category: str) -> str | None:
    levels = [m.level for m in DEFAULTS.scan(text) if m.category == category]
    return min(levels, key=LEVEL_ORDER.__getitem__) if levels else None


def contact(text: str) -> set[str]:
    return {m.rule for m in DEFAULTS.scan(text) if m.category == "contact"}


# --- the module stands alone ----------------------------------------------------------


def test_scanner_imports_and_runs_without_django():
    code = (
        "import sys; from moderation.scanner import Scanner, RuleSpec; "
        "s = Scanner([RuleSpec(1, 'kill myself', 'self_harm', 'RED')]); "
        "assert s.scan('I want to k1ll mys3lf')[0].rule == 1; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- normalisation: one test per evasion ---------------------------------------------


def test_normalise_case_folds():
    assert normalise("KILL MySelf")[0] == "kill myself"
    assert normalise("STRASSE Straße")[0] == "strasse strasse"


def test_normalise_strips_accents():
    assert normalise("sùïcídé café naïve")[0] == "suicide cafe naive"
    # combining accents typed separately
    assert normalise("sui\u0301cide")[0] == "suicide"


def test_normalise_folds_cyrillic_look_alikes():
    # а е о р с у х і ѕ (Cyrillic), the rest Latin
    assert normalise("\u0455u\u0456\u0441\u0456d\u0435")[0] == "suicide"
    assert normalise("k\u0456ll mys\u0435lf")[0] == "kill myself"
    assert normalise("\u0430\u0435\u043e\u0440\u0441\u0443\u0445")[0] == "aeopcyx"


def test_normalise_folds_greek_look_alikes():
    # ο α ε ι κ ν ρ τ (Greek)
    assert normalise("\u03ba\u03b9ll mys\u03b5lf")[0] == "kill myself"
    assert normalise("\u03bf\u03b1\u03b5\u03b9\u03ba\u03bd\u03c1\u03c4")[0] == "oaeikvpt"
    # capital eta looks like H, small eta like n
    assert normalise("\u0397\u03b7")[0] == "hn"


def test_normalise_fullwidth_and_styled_letters():
    assert normalise("\uff2b\uff29\uff2c\uff2c \uff4d\uff59\uff53\uff45\uff4c\uff46")[0] == (
        "kill myself"
    )
    assert normalise("\U0001d424\U0001d422\U0001d425\U0001d425")[0] == "kill"  # bold maths
    assert normalise("\u24da\u24d8\u24db\u24db")[0] == "kill"  # circled


def test_normalise_removes_zero_width_and_controls():
    for invisible in ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\x07", "\x9f"):
        assert normalise(f"ki{invisible}ll my{invisible}self")[0] == "kill myself", invisible
    assert normalise("kill\nmyself")[0] == "kill myself"
    assert normalise("kill\tmyself")[0] == "kill myself"


def test_normalise_reads_leetspeak_only_in_words():
    assert normalise("k1ll mys3lf")[0] == "kill myself"
    assert normalise("$u1c1d3")[0] == "suicide"
    assert normalise("5h4k3 h3r")[0] == "shake her"
    # numbers stay numbers, for the contact detectors and exceptions
    assert normalise("07911 123456")[0] == "07911 123456"
    assert normalise("call 111 or 999")[0] == "call 111 or 999"
    assert normalise("7lb 2oz at 9am, 3kg, 2nd, 14:30")[0] == "7lb 2oz at 9am, 3kg, 2nd, 14:30"


def test_normalise_collapses_letters_repeated_three_times():
    assert normalise("kiiiill")[0] == "kill"
    assert normalise("diiie")[0] == "die"
    assert normalise("sooooo tired")[0] == "so tired"
    # two stay two
    assert normalise("sleep kill")[0] == "sleep kill"


def test_normalise_joins_spaced_letters():
    assert normalise("s u i c i d e")[0] == "suicide"
    assert normalise("k i l l   m y s e l f")[0] == "killmyself"
    assert normalise("I want to d i e")[0] == "i want to die"
    # ordinary single-letter words are left alone
    assert normalise("I am a mum")[0] == "i am a mum"


def test_normalise_joins_dotted_dashed_and_underscored_letters():
    assert normalise("s.u.i.c.i.d.e")[0] == "suicide"
    assert normalise("s-u-i-c-i-d-e")[0] == "suicide"
    assert normalise("s_u_i_c_i_d_e")[0] == "suicide"
    assert normalise("s u 1 c 1 d e")[0] == "suicide"
    # "e.g." is two letters, and a sentence's full stop is not a dot between letters
    assert normalise("e.g. I am")[0] == "e.g. i am"


def test_normalise_maps_each_character_to_the_original():
    text = "K\u200bI\u200bL\u200bL  mys3lf"
    normal, index = normalise(text)
    assert normal == "kill myself"
    assert len(index) == len(normal)
    assert [text[i] for i in index] == list("KILL mys3lf")
    text = "ｓ.ｕ.ｉ"
    normal, index = normalise(text)
    assert normal == "sui" and index == [0, 2, 4]


def test_apostrophes_and_hyphens_do_not_matter():
    scanner = Scanner([RuleSpec(1, "don't want to live", "self_harm", "RED")])
    for text in ("I dont want to live", "I don’t want to live", "I don't want-to-live"):
        assert [m.rule for m in scanner.scan(text)] == [1], text


# --- matching: each evasion end to end, with spans in the original text ---------------


@pytest.mark.parametrize(
    "text, matched",
    [
        ("I want to KILL MYSELF", "KILL MYSELF"),  # case
        ("I want to kíll mysélf", "kíll mysélf"),  # accents
        ("I want to k\u0456ll mys\u0435lf", "k\u0456ll mys\u0435lf"),  # Cyrillic
        ("I want to \u03ba\u03b9ll mys\u03b5lf", "\u03ba\u03b9ll mys\u03b5lf"),  # Greek
        ("I want to \uff4b\uff49\uff4c\uff4c myself", "\uff4b\uff49\uff4c\uff4c myself"),
        ("I want to ki\u200bll my\u200dself", "ki\u200bll my\u200dself"),  # zero-width
        ("I want to k1ll mys3lf!", "k1ll mys3lf"),  # leetspeak
        ("k i l l   m y s e l f", "k i l l   m y s e l f"),  # spaced letters
        ("k.i.l.l m.y.s.e.l.f please", "k.i.l.l m.y.s.e.l.f"),  # dotted letters
        ("I want to kiiiill myselfffff", "kiiiill myselfffff"),  # repeated letters
        ("I want to killlll myself", "killlll myself"),  # a double letter typed long
        ("I want to killmyself", "killmyself"),  # spaces dropped
        ("I want to kill my self", "kill my self"),  # spaces moved
    ],
)
def test_evasions_match_and_spans_point_at_the_original(text, matched):
    found = [m for m in KEYWORDS.scan(text) if m.rule == "km"]
    assert len(found) == 1, KEYWORDS.scan(text)
    assert text[found[0].start : found[0].end] == matched


@pytest.mark.parametrize(
    "text",
    [
        "s u i c i d e",
        "s.u.i.c.i.d.e",
        "S-U-I-C-I-D-E",
        "\u0455u\u0456\u0441\u0456d\u0435",
        "$u1c1d3",
        "suuuuicide",
        "sui\u00adcide",
    ],
)
def test_one_word_evasions(text):
    assert terms(KEYWORDS, text) == {"suicide"}


def test_letters_inside_a_spaced_run_can_start_a_word():
    found = KEYWORDS.scan("I w a n t t o d i e")
    assert [m.term for m in found] == ["die"]


def test_whole_words_only_without_a_wildcard():
    scanner = Scanner(
        [RuleSpec(1, "cunt", "hostility", "AMBER"), RuleSpec(2, "kill", "x", "RED")],
        detect_contact=False,
    )
    assert scanner.scan("we live near Scunthorpe actually") == []
    assert scanner.scan("what a skill, killing it, painkillers") == []
    assert [m.rule for m in scanner.scan("I could kill")] == [2]


def test_wildcards_at_either_end():
    scanner = Scanner(
        [
            RuleSpec("prefix", "kill*", "x", "RED"),
            RuleSpec("suffix", "*cide", "x", "RED"),
            RuleSpec("infix", "*cunt*", "x", "AMBER"),
        ],
        detect_contact=False,
    )
    text = "killing suicide Scunthorpe skill"
    found = {(m.rule, text[m.start : m.end]) for m in scanner.scan(text)}
    # the match covers the whole word it was found in
    assert found == {("prefix", "killing"), ("suffix", "suicide"), ("infix", "Scunthorpe")}


def test_a_one_word_term_does_not_match_across_a_space():
    scanner = Scanner([RuleSpec(1, "hit", "x", "RED")], detect_contact=False)
    assert scanner.scan("oh hi there") == []
    assert scanner.scan("hi t") == []


def test_phrases_keep_word_boundaries_when_spaces_are_ignored():
    scanner = Scanner([RuleSpec(1, "hit me", "x", "RED")], detect_contact=False)
    assert scanner.scan("white mess") == []
    assert scanner.scan("I hit my head") == []
    assert len(scanner.scan("he hit me")) == 1
    assert len(scanner.scan("he hitme")) == 1


def test_matches_are_sorted_and_unique_per_rule_and_span():
    scanner = Scanner(
        [
            RuleSpec(1, "kill myself", "self_harm", "RED"),
            RuleSpec(1, "killmyself", "self_harm", "RED"),  # same rule id, same span
            RuleSpec(2, "suicide", "self_harm", "RED"),
        ],
        detect_contact=False,
    )
    found = scanner.scan("suicide, kill myself, suicide")
    assert [(m.rule, m.start) for m in found] == [(2, 0), (1, 9), (2, 22)]
    assert all(isinstance(m, Match) for m in found)


def test_match_carries_the_rule():
    scanner = Scanner(
        [RuleSpec(7, "kill myself", "self_harm", "RED", "block", ("kill myself laughing",))],
        detect_contact=False,
    )
    (match,) = scanner.scan("I'll kill myself")
    assert match == Match(7, "kill myself", "self_harm", "RED", "block", 5, 16)


def test_nothing_to_scan_or_nothing_to_match():
    assert KEYWORDS.scan("") == []
    assert Scanner([], detect_contact=False).scan("anything at all") == []
    assert Scanner([RuleSpec(1, "*", "x", "RED"), RuleSpec(2, "  ", "x", "RED")]).scan("a b") == []


def test_many_rules_one_automaton():
    rules = [RuleSpec(i, f"zq{i:05d}word", "x", "AMBER") for i in range(10_000)]
    rules.append(RuleSpec("needle", "kill myself", "self_harm", "RED"))
    scanner = Scanner(rules, detect_contact=False)
    assert [m.rule for m in scanner.scan("I want to kill myself, zq09999word")] == [
        "needle",
        9999,
    ]


# --- exceptions -------------------------------------------------------------------------


def test_exception_phrase_covering_the_hit_cancels_it():
    scanner = Scanner(
        [RuleSpec(1, "kill*", "x", "RED", exceptions=("kill for a coffee", "killing me"))],
        detect_contact=False,
    )
    assert scanner.scan("I could kill for a coffee") == []
    assert scanner.scan("I could KILL f0r a c0ff33") == []  # normalised the same way
    assert scanner.scan("teething is killing me") == []
    # a hit the exception does not cover still counts
    found = scanner.scan("I could kill for a coffee. I want to kill him")
    assert [m.start for m in found] == [37]
    # "killing me" is not "killing myself"
    assert len(scanner.scan("I am killing myself slowly")) == 1


def test_exception_must_cover_the_whole_hit():
    scanner = Scanner(
        [RuleSpec(1, "want to die", "self_harm", "RED", exceptions=("die my hair",))],
        detect_contact=False,
    )
    assert scanner.scan("I want to die my hair pink") != []  # "die my hair" starts inside
    scanner = Scanner(
        [RuleSpec(1, "want to die", "self_harm", "RED", exceptions=("want to die my hair",))],
        detect_contact=False,
    )
    assert scanner.scan("I want to die my hair pink") == []


def test_exceptions_belong_to_their_rule():
    scanner = Scanner(
        [
            RuleSpec(1, "cut", "x", "AMBER", exceptions=("cut up fruit",)),
            RuleSpec(2, "cut up", "y", "AMBER"),
        ],
        detect_contact=False,
    )
    assert [m.rule for m in scanner.scan("I cut up fruit")] == [2]


@pytest.mark.parametrize(
    "text",
    [
        "I could kill for a coffee",
        "teething is killing me",
        "I could murder a cup of tea",
        "I'm drowning in laundry",
        "drowning in washing this week",
        "I'd die for my kids",
        "I'd give my life for these two",
        "I'm ending breastfeeding next week",
        "I cut up some fruit for lunch",
        "I'm dying to see her walk",
        "that cake was to die for",
        "the killer whale at the aquarium",
        "my back is killing me",
        "I cut myself shaving",
        "I cut myself some slack today",
        "I smother her in kisses",
        "she shook her head",
        "I shook her rattle and she laughed",
        "can coughing hurt the baby?",
        "will it harm my baby if I have a coffee",
        "I don't want to hurt her feelings",
        "this is going to hurt, isn't it",
        "overdosed on chocolate this weekend",
        "I want to die my hair purple",
    ],
)
def test_everyday_phrases_are_not_flagged(text):
    assert DEFAULTS.scan(text) == [], DEFAULTS.scan(text)


# --- levels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I'm frightened I'll hurt my daughter",
        "I keep picturing dropping him down the stairs",
        "what if I smother him by accident",
        "I'm scared I'm going to hurt her",
        "I keep having intrusive thoughts about the baby",
        "I don't trust myself with the baby",
    ],
)
def test_intrusive_thoughts_reach_a_human_at_amber(text):
    assert top_level(text, "baby_harm") == "AMBER"


@pytest.mark.parametrize(
    "text",
    [
        "I had an urge to shake her hard",
        "sometimes I feel like hurting the baby",
        "I want to hurt him so much when he screams",
        "I shook the baby",
    ],
)
def test_intent_and_acts_against_the_baby_are_red(text):
    assert top_level(text, "baby_harm") == "RED"


def test_levels_per_category():
    assert top_level("I want to die", "self_harm") == "RED"
    assert top_level("I can't do this anymore", "self_harm") == "AMBER"
    assert top_level("I hear voices telling me to", "psychosis") == "RED"
    assert top_level("haven't slept in days", "psychosis") == "AMBER"
    assert top_level("he said he'd kill me", "abuse_dv") == "RED"
    assert top_level("my partner hit me again", "abuse_dv") == "RED"
    assert top_level("I'm afraid of my partner", "abuse_dv") == "AMBER"
    assert top_level("you are a rubbish mum", "hostility") == "AMBER"
    for match in DEFAULTS.scan("text me on 07911 123456"):
        assert (match.category, match.level, match.action) == ("contact", "AMBER", "hold")


# --- contact detectors -------------------------------------------------------------------


def test_contact_detectors_are_listed():
    assert set(CONTACT_DETECTORS) == {
        "contact:phone",
        "contact:email",
        "contact:url",
        "contact:handle",
        "contact:address",
        "contact:off_platform",
    }


@pytest.mark.parametrize(
    "text, matched",
    [
        ("ring me 07911 123456", "07911 123456"),
        ("07911123456", "07911123456"),
        ("07911-123-456", "07911-123-456"),
        ("07911.123.456", "07911.123.456"),
        ("+44 7911 123456", "+44 7911 123456"),
        ("+44 (0)7911 123456", "+44 (0)7911 123456"),
        ("0044 7911 123456", "0044 7911 123456"),
        ("020 7946 0000", "020 7946 0000"),
        ("0161 496 0000", "0161 496 0000"),
        ("01632 960001", "01632 960001"),
        ("0 7 9 1 1 1 2 3 4 5 6", "0 7 9 1 1 1 2 3 4 5 6"),
        ("0-7-9-1-1-1-2-3-4-5-6", "0-7-9-1-1-1-2-3-4-5-6"),
        ("ｏ７９１１ １２３４５６", "ｏ７９１１ １２３４５６"),
        (
            "oh seven nine one one, one two three four five six",
            "oh seven nine one one, one two three four five six",
        ),
        ("zero seven nine double one 123456", "zero seven nine double one 123456"),
    ],
)
def test_phone_numbers(text, matched):
    found = [m for m in DEFAULTS.scan(text) if m.rule == "contact:phone"]
    assert [text[m.start : m.end] for m in found] == [matched]


@pytest.mark.parametrize(
    "text",
    [
        "she weighed 7lb 2oz at 9am",
        "she's 3.2kg now, 51cm long",
        "feeds at 14:30 and 02:00",
        "born 12/03/2024, due date was 01/04/2024",
        "born in 2023, second one due 2025",
        "01 02 2023 10 30 was the time",
        "the GP said call 111 out of hours",
        "call 999 or go to A&E",
        "Samaritans on 116 123, free any time",
        "text SHOUT to 85258",
        "National Domestic Abuse Helpline: 0808 2000 247",
        "Mind's infoline is 0300 123 3393",
        "she's 14 months, 9 kilos, 2 teeth",
        "I scored 14 on the EPDS and 12 on the PHQ-9",
        "we have 2 kids aged 1 and 3",
        "counting 1 2 3 4 5 6 7 8 9 10 with her",
        "one two three, here we go",
    ],
)
def test_ordinary_numbers_are_not_contact(text):
    assert contact(text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "my email: sam.jones@example.org",
        "SAM.JONES@EXAMPLE.ORG",
        "sam @ example . com",
        "sam at gmail dot com",
        "sam (at) gmail (dot) com",
        "sam [at] example [dot] co [dot] uk",
        "jo dot bloggs at hotmail dot co dot uk",
        "find me at sammy at hotmail",
    ],
)
def test_email_addresses(text):
    assert "contact:email" in contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "we met at school",
        "look at me now",
        "I was at tesco earlier, at 3",
        "meet at the cafe at 2",  # an off-platform phrase, but not an email
    ],
)
def test_not_email_addresses(text):
    assert "contact:email" not in contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/page?x=1",
        "http://sammy.blog",
        "www.example.org",
        "visit example.co.uk for more",
        "my shop is jomakes.etsy.com",
        "sammy dot com",
    ],
)
def test_web_addresses(text):
    assert "contact:url" in contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "e.g. when she cries, i.e. at night",
        "she was so tired.me too though",
        "3.2kg at 9.30am",
        "see www.nhs.uk/conditions/postnatal-depression",
        "the nhs.uk page, or mind.org.uk",
    ],
)
def test_not_web_addresses(text):
    assert "contact:url" not in contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "follow me on tiktok @sammymum",
        "@jo_makes",
        "@jomakes88 is me",
        "my insta is jo.makes",
        "my snapchat name is jo",
        "whats ur snap",
        "what's your insta?",
        "are you on facebook?",
        "I'm on instagram as jomakes",
    ],
)
def test_social_handles(text):
    assert "contact:handle" in contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "@Sarah thank you so much",
        "thanks @jo!",
        "@home at last",
        "I saw it on facebook",
        "my snap decision was to go to bed",
        "my signal is terrible here",
    ],
)
def test_not_social_handles(text):
    assert "contact:handle" not in contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "I live at 12 Acacia Road",
        "Flat 3, 14 Elm Grove",
        "it's 7 high st",
        "my postcode is LS6 2AB",
        "SW1A 1AA",
        "m1 1ae",
    ],
)
def test_postal_addresses(text):
    assert "contact:address" in contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "we walked 2 miles down the road",
        "a 20 minute drive",
        "I live on a busy road",
        "3 doors down the street",
        "see you b4 5pm",
        "I'm in Leeds, near the park",
        "our 3 bed house is chaos",
    ],
)
def test_not_postal_addresses(text):
    assert "contact:address" not in contact(text)


@pytest.mark.parametrize(
    "text",
    [
        "add me on facebook",
        "whatsapp me",
        "DM me",
        "message me on insta",
        "let's swap numbers",
        "meet up at the park?",
        "meet me in the park tomorrow",
        "we should meet up",
        "give me your number",
        "come round to mine",
    ],
)
def test_off_platform_phrases(text):
    assert contact(text) & {"contact:off_platform", "contact:handle"}


@pytest.mark.parametrize(
    "text",
    [
        "nice to meet you all",
        "the meet up at the children's centre is on Tuesday",
        "the health visitor rang me on Tuesday",
        "call me Jo",
        "my number one tip: sleep when baby sleeps",
        "I'm meeting my sister at the park",
    ],
)
def test_not_off_platform(text):
    assert contact(text) == set()


def test_contact_detection_can_be_switched_off():
    scanner = Scanner([RuleSpec(1, "kill myself", "self_harm", "RED")], detect_contact=False)
    assert scanner.scan("ring me on 07911 123456, sam@example.org, add me on fb") == []


# --- the labelled sample -------------------------------------------------------------------


def load_examples() -> list[tuple[str, str]]:
    rows = []
    for line in EXAMPLES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        rows.append((label, text))
    return rows


EXAMPLE_ROWS = load_examples()


def test_the_sample_covers_every_category():
    assert {label for label, _ in EXAMPLE_ROWS} == {*CATEGORIES, "none"}
    assert len(EXAMPLE_ROWS) == 52


@pytest.mark.parametrize("label, text", EXAMPLE_ROWS, ids=[t[:40] for _, t in EXAMPLE_ROWS])
def test_labelled_examples(label, text):
    found = DEFAULTS.scan(text)
    if label == "none":
        assert found == [], found
    else:
        assert label in {m.category for m in found}, found


# --- more examples of our own, beyond the sample -------------------------------------------

MUST_FLAG = [
    ("self_harm", "I've been thinking about ending it"),
    ("self_harm", "Everyone would be better off without me"),
    ("self_harm", "I don't see the point in living anymore"),
    ("self_harm", "I want to go to sleep and never wake up"),
    ("self_harm", "started self-harming again"),
    ("self_harm", "how many tablets would it take"),
    ("self_harm", "I've been stockpiling my pills"),
    ("self_harm", "i wanna unalive myself"),
    ("baby_harm", "I keep getting thoughts of smothering her with a pillow"),
    ("baby_harm", "I'm scared I might hurt the baby"),
    ("baby_harm", "I shouted at the baby and shook him"),
    ("baby_harm", "sometimes I want to throw her out of the window"),
    ("baby_harm", "I want to hurt my baby"),
    ("psychosis", "The voices keep telling me the baby isn't mine"),
    ("psychosis", "I think someone swapped her at the hospital"),
    ("psychosis", "the tv is talking to me about her"),
    ("psychosis", "god told me to do it"),
    ("abuse_dv", "My partner pushed me against the wall last night"),
    ("abuse_dv", "He grabbed me by the throat"),
    ("abuse_dv", "He checks my phone every night"),
    ("abuse_dv", "my husband forces me to have sex"),
    ("abuse_dv", "he threatens to take the baby if I leave"),
    ("abuse_dv", "I'm walking on eggshells all the time"),
    ("contact", "my number is 07700 900123"),
    ("contact", "email me at jo.bloggs@gmail.com"),
    ("contact", "add me on fb, Jo Bloggs"),
    ("contact", "text me on oh seven nine double one one two three four five six"),
    ("contact", "where do you live hun?"),
    ("hostility", "you're pathetic"),
    ("hostility", "honestly you're a terrible mother"),
    ("hostility", "u r a bad mum"),
    ("hostility", "nobody cares about your problems"),
    ("hostility", "just shut up"),
]

MUST_NOT_FLAG = [
    "Is it safe to take paracetamol while breastfeeding?",
    "I'm dying to get some sleep",
    "this heat is killing me",
    "I'd kill for a nap",
    "My baby hit me in the face with his bottle lol",
    "the baby kicks me in the ribs all night",
    "Will lying on my back hurt the baby?",
    "I'd never want to hurt him",
    "I hurt myself lifting the car seat",
    "I burnt myself on the oven",
    "my husband will kill me when he sees the Amazon bill",
    "I'm going to kill him if he leaves the toilet seat up again",
    "I feel like throwing up",
    "I'm such a rubbish mum",
    "you're not a bad mum, you're a tired mum",
    "You are a star, thank you",
    "I wanted to shake him awake to check he was breathing",
    "I threw the baby a party for her first birthday",
    "My partner threw me a surprise party",
    "my husband beat me at scrabble again",
    "my boyfriend grabbed me a coffee on the way home",
    "My toddler won't let me leave the room",
    "I hear voices of reason in this group",
    "My HV said intrusive thoughts are really common",
    "I might hurt my back carrying the car seat",
    "I'll harm my supply if I skip feeds",
    "what if I hurt his feelings by not inviting him",
    "I keep picturing her first birthday",
    "I'm scared of dropping him, he wriggles so much",
    "I smothered her in sudocrem",
    "shake the bottle well before feeding",
    "I just want to disappear to a spa for a week",
    "the kids won't shut up today",
    "I felt like a bad mum when I gave formula",
    "Sleeeeep please",
    "It was the best day ever!!!!",
    "night all x x x",
    "what if I drop the night feed and she wakes more",
    "what if I throw up in labour",
]


@pytest.mark.parametrize("label, text", MUST_FLAG, ids=[t[:40] for _, t in MUST_FLAG])
def test_more_messages_that_must_be_flagged(label, text):
    assert label in categories(text), DEFAULTS.scan(text)


@pytest.mark.parametrize("text", MUST_NOT_FLAG, ids=[t[:40] for t in MUST_NOT_FLAG])
def test_more_messages_that_must_not_be_flagged(text):
    assert DEFAULTS.scan(text) == [], DEFAULTS.scan(text)


# --- the default rule set ----------------------------------------------------------------


def test_default_rules_are_well_formed():
    seen = set()
    for rule in DEFAULT_RULES:
        assert set(rule) == {"term", "category", "level", "action", "exceptions"}, rule
        assert rule["category"] in CATEGORIES, rule
        assert rule["level"] in ("RED", "AMBER", "GREEN"), rule
        assert rule["action"] in ("default", "hold", "flag", "block"), rule
        assert 0 < len(rule["term"]) <= 120, rule
        assert all(0 < len(e) <= 200 for e in rule["exceptions"]), rule
        assert (rule["term"], rule["category"]) not in seen, rule  # the migration's key
        seen.add((rule["term"], rule["category"]))
    assert {r["category"] for r in DEFAULT_RULES} == set(CATEGORIES)
    assert all(r["action"] == "hold" for r in DEFAULT_RULES if r["category"] == "contact")
    levels = {(r["category"], r["level"]) for r in DEFAULT_RULES}
    for category in ("self_harm", "baby_harm", "psychosis", "abuse_dv"):
        assert {(category, "RED"), (category, "AMBER")} <= levels
    assert {(c, "RED") for c in ("contact", "hostility")}.isdisjoint(levels)


def test_every_default_rule_matches_its_own_term():
    for spec in default_specs():
        text = f"and {spec.term.strip('*')} and"
        assert spec.id in {m.rule for m in DEFAULTS.scan(text)}, spec


# --- key words one letter off, text-speak, slang ------------------------------------------


def alarms(text: str) -> set[tuple[str, str]]:
    """(category, level) of every match that raises something (GREEN is only shown)."""
    return {(m.category, m.level) for m in DEFAULTS.scan(text) if m.level != "GREEN"}


@pytest.mark.parametrize(
    "text",
    [
        "I keep thinking about suacide",  # substitution
        "been feeling sucidal all week",  # deletion
        "I want to kill myslef",  # adjacent swap
        "i want to kill mysellf tonight",  # insertion
        "thinking about overdoseing",
        "I'm going to hurt myself",
    ],
)
def test_key_words_one_letter_off_still_match(text):
    assert ("self_harm", "RED") in alarms(text) or ("self_harm", "AMBER") in alarms(text)


@pytest.mark.parametrize(
    "text",
    [
        "put the tables away after group",  # "tablets" one letter off, but a word
        "my mother is smothering me with advice lol",  # only the key word counts
        "mothering sunday was lovely",
        "changing bags on sale",  # "hanging"
        "the kids were willing to try broccoli",  # "killing"
        "the bill is on the fridge",  # short words are never read as another
    ],
)
def test_everyday_words_one_letter_from_a_key_word_do_not_alarm(text):
    assert alarms(text) == set(), DEFAULTS.scan(text)


def test_one_letter_off_is_only_for_key_words_of_six_letters_or_more():
    from moderation.scanner import ONE_OFF_WORDS

    assert all(len(word) >= 6 for word in ONE_OFF_WORDS)
    assert normalise("bill kiln dye")[0] == "bill kiln dye"
    assert normalise("suacide sucide myslef")[0] == "suicide suicide myself"


def test_one_letter_off_highlights_the_word_as_she_typed_it():
    text = "I keep thinking about suacide"
    (match,) = [m for m in DEFAULTS.scan(text) if m.category == "self_harm"]
    assert text[match.start : match.end] == "suacide"


@pytest.mark.parametrize(
    "text",
    [
        "ngl been thinking about ctb",
        "kms fr i cant do another night",
        "i wanna unalive myself",
        "thinking about sewerslide again",
        "i wana die",
        "im gna end it all",
        "i cant do this no more",
        "want to off myself",
    ],
)
def test_slang_and_text_speak(text):
    assert {c for c, _ in alarms(text)} == {"self_harm"}, DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "gna end it wiv the dummy this weekend, wish me luck",
        "wana come to the baby group tmrw?",
        "im gna have a nap",
        "we cant do this no more, the pram is too big for the car lol",
    ],
)
def test_text_speak_in_everyday_lines_does_not_alarm(text):
    assert ("self_harm", "RED") not in alarms(text), DEFAULT_RULES and DEFAULTS.scan(text)


def test_text_speak_reads_as_the_plain_words():
    assert normalise("i wana die 2nite")[0] == "i want to die tonight"


# --- emoji in risk context ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "🪦 soon",
        "⚰️ tonight, sorry",
        "💊💊💊 so tempting",
        "🔪 arms again",
        "🩸🩸 did it again",
        "🌉 again today",
    ],
)
def test_risk_emoji_beside_risk_words_are_red(text):
    assert ("self_harm", "RED") in alarms(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "🔪 chopping onions for tea tonight",
        "💊 vitamins taken, go me",
        "🩸 day two, tmi",
        "🌉 lovely walk over the bridge today",
        "🪦 visited grandad's grave with the baby",
        "first pumpkin carving 🔪🎃",
    ],
)
def test_risk_emoji_in_everyday_lines_do_not_alarm(text):
    assert alarms(text) == set(), DEFAULTS.scan(text)


# --- denials ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I'm not suicidal, just exhausted",
        "I'd never hurt myself, I've got my girls",
        "I'm not going to hurt myself, I'm just running on empty",
        "no thoughts of harming myself at all",
        "the HV asked if I'd had thoughts of harming myself and honestly no",
    ],
)
def test_a_denial_alone_is_not_a_risk(text):
    assert alarms(text) == set(), DEFAULTS.scan(text)
    assert DEFAULTS.scan(text), "what was denied is still shown, at GREEN"


@pytest.mark.parametrize(
    "text",
    [
        "I'm not suicidal but I want to die",
        "not going to lie, I want to kill myself",
        "I'm trying not to kill myself",
        "I can't promise I'm not going to hurt myself",
        "I'd never thought about suicide until this week",
        "the midwife asked if I'd had thoughts of harming the baby and I said no but I have",
    ],
)
def test_a_denial_beside_a_risk_or_undone_stays_a_risk(text):
    assert any(level in ("RED", "AMBER") for _, level in alarms(text)), DEFAULTS.scan(text)


def test_a_denial_does_not_lower_another_category():
    found = alarms("I'm not suicidal, text me on 07911 123456")
    assert ("contact", "AMBER") in found and ("self_harm", "RED") in found


# --- spoken and disguised phone numbers ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "oh seven seven hundred nine hundred one two three",
        "O7911 l23456",
        "07 9 11 12 34 56",
        "oh seven nine treble one two three four five six",
        "oh seven nine triple one two three four five six",
    ],
)
def test_spoken_and_disguised_phone_numbers(text):
    assert "contact:phone" in contact(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "scan at 07 weeks went fine",
        "she was 7lb 2oz, born 07 05 2024 at 10 30",
        "two hundred ml at 3am and one hundred at 7",
        "ring the National Breastfeeding Helpline on 0300 100 0212",
        "Samaritans 116 123, any time",
    ],
)
def test_ordinary_numbers_and_helplines_are_not_phones(text):
    assert "contact:phone" not in contact(text), DEFAULTS.scan(text)


# --- off-platform by nickname, private meetings ------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "find me on the ghost app x",
        "msg me on the green one",
        "same name as here on the photo app",
        "the blue app with the f, my real name",
        "meet up after group, just us",
        "coffee thursday? just the two of us",
        "don't tell the others but come round mine after group",
    ],
)
def test_off_platform_by_nickname_and_private_meetings(text):
    assert contact(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "the green one is the nicer pram",
        "meet up after group? the whole gang is coming",
        "date night at the cinema, just the two of us",
        "don't tell the others but I ate all the biscuits",
        "the ghost costume is so cute on her",
    ],
)
def test_everyday_apps_colours_and_plans_are_not_contact(text):
    assert not contact(text), DEFAULTS.scan(text)


# --- levels: farewells, threats now, helplines ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "please look after my kids for me",
        "goodbye everyone, thank you all",
        "this is goodbye",
        "been giving my things away this week",
        "🥀 i'm ready",
    ],
)
def test_farewells_giving_things_away_and_im_ready_are_red(text):
    assert ("self_harm", "RED") in alarms(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm ready for bed",
        "yes I'm ready, see you at 10",
        "can you look after my coat for me",
        "could you look after the kids for me while I shower",
        "giving away baby clothes, all 0-3 months",
        "goodbye everyone, see you next week",
        "when I'm ready I'll go back to work",
    ],
)
def test_everyday_goodbyes_and_readiness_do_not_alarm(text):
    assert alarms(text) == set(), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "he said he'll kill me tonight",
        "I won't get out of here alive",
        "he's going to kill me",
    ],
)
def test_threats_to_her_life_now_are_red_abuse(text):
    assert ("abuse_dv", "RED") in alarms(text), DEFAULTS.scan(text)


def test_a_partner_joke_is_not_a_threat():
    assert alarms("he'll kill me when he sees the Amazon bill") == set()


@pytest.mark.parametrize(
    "text",
    [
        "hun if you're not safe at home the National Domestic Abuse Helpline is 0808 2000 247",
        "National Domestic Abuse Helpline 0808 2000 247, free, any time",
        "Refuge run the domestic abuse helpline with Women's Aid",
        "Samaritans 116 123 if you're feeling suicidal",
        "you can ring the domestic abuse helpline just to talk it through",
    ],
)
def test_a_volunteer_signposting_a_helpline_is_neither_contact_nor_abuse(text):
    assert alarms(text) == set(), DEFAULTS.scan(text)


def test_a_helpline_named_beside_her_own_risk_stays_a_risk():
    found = alarms("I rang the domestic abuse helpline because he hit me last night")
    assert ("abuse_dv", "RED") in found


@pytest.mark.parametrize(
    "text",
    [
        "my digits: seven, nine, four, four, six... I'll send the rest in a sec",
        "seven nine five oh, and then the rest is 22 43 18 1",
        "zero sevn nien too, fore three, six wun, ate ate wun",
    ],
)
def test_a_number_given_in_pieces_or_misspelt_is_a_phone(text):
    assert "contact:phone" in contact(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "my number one fan is 2 years old and weighs 12 kg",
        "text me later, she fed at 10 30 and 12 15",
        "I ate two biscuits at 3 and one at 4",
    ],
)
def test_numbers_beside_a_phone_word_are_not_a_phone(text):
    assert "contact:phone" not in contact(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "can't say it on here because it gets held, hmu on the gram",
        "let's keep it between ourselves and get a brew",
        "my instagran is the same handle",
    ],
)
def test_moving_off_village_without_naming_the_app(text):
    assert contact(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "we tried the other place for lunch, much better",
        "my mum sent me a meme on fb lol",
        "the gram of formula per scoop confuses me",
    ],
)
def test_everyday_mentions_of_places_and_apps_are_not_contact(text):
    assert not contact(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "ur so thick its unreal",
        "you're an absolute embarrassment to this group",
        "i know where you live, you posted your street",
        "nobody will miss you",
        "go back to your own country",
    ],
)
def test_insults_and_threats_aimed_at_someone_are_hostility(text):
    assert ("hostility", "AMBER") in alarms(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm so thick, I left the steriliser on all night",
        "you're not a bad mum, you're a tired mum",
        "you're so lucky she sleeps",
        "nobody cares if the house is a mess, honestly",
        "watching them grow up so fast",
    ],
)
def test_her_words_about_herself_and_kind_words_are_not_hostility(text):
    assert ("hostility", "AMBER") not in alarms(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "he's smashing up the kitchen and i'm upstairs with the baby",
        "he sed he'll put me in the ground",
        "he tryed to strangle me last night",
        "says i'm not leaving this house alive",
    ],
)
def test_danger_now_in_the_words_of_the_moment_is_red_abuse(text):
    assert ("abuse_dv", "RED") in alarms(text), DEFAULTS.scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "my mum dragged me to soft play again",
        "he broke my heart when he said he was moving away for work lol",
        "smashing the weaning this week, she loves broccoli",
    ],
)
def test_everyday_dragging_breaking_and_smashing_is_not_abuse(text):
    assert ("abuse_dv", "RED") not in alarms(text), DEFAULTS.scan(text)
