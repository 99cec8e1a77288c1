"""Village's default keyword rules, loaded once by a migration; coordinators edit them after.

Each rule: {"term", "category", "level", "action", "exceptions": [...]}. Terms follow the
scanner's syntax (whole words unless a `*` is at an end; apostrophes and spacing do
not matter: "don't" and "dont", "kill myself" and "killmyself" read the same).

How the levels were chosen (SAFEGUARDING.md):

- self_harm: RED for suicidal thoughts, plans, methods and self-harm; AMBER for
  despair that is not yet about dying ("can't do this anymore") and for accidents
  that could be self-harm ("hurt myself").
- baby_harm: wording about harm to the baby reaches a human at AMBER, because
  intrusive thoughts are common in perinatal anxiety and OCD and must not be
  stigmatised ("I'm frightened I'll hurt my daughter", "keep picturing dropping
  him", "what if I smother him"). Explicit intent, urges or acts are RED ("want to
  hurt", "urge to shake", "feel like hurting", "shook the baby", "shake her hard").
  Fear of doing it ("scared I'm going to hurt her") and "don't want to hurt" are
  exceptions to the RED intent rules.
- psychosis: RED for voices, delusions about the baby, being watched or sent
  messages; AMBER for sleeplessness and racing or strange thoughts on their own
  (new mums rarely sleep; with the other signs, a human decides).
- abuse_dv: RED for violence, threats to kill and not being safe now; AMBER for
  fear, coercive control and other abuse.
- contact: AMBER, held (the scanner's detectors cover numbers, emails, links,
  handles, addresses and "add me on ..." phrases; these are what they miss).
- hostility: AMBER; insults aimed at someone ("you are a rubbish mum"), never a
  mum's words about herself ("I'm a rubbish mum").

Exceptions are the everyday phrases in which a term does not count ("cut myself
shaving", "shook her head", "smother her in kisses", "is this going to hurt").
"""

from __future__ import annotations

RED, AMBER = "RED", "AMBER"


def _rule(term, category, level, exceptions=(), action="default"):
    return {
        "term": term,
        "category": category,
        "level": level,
        "action": action,
        "exceptions": list(dict.fromkeys(exceptions)),
    }


def _rules(category, level, terms, action="default"):
    """terms: a list of terms, or a dict of term -> exceptions."""
    if isinstance(terms, dict):
        return [_rule(t, category, level, e, action) for t, e in terms.items()]
    return [_rule(t, category, level, (), action) for t in terms]


# --- self_harm ---------------------------------------------------------------------------

_FOODS = (
    "chocolate", "coffee", "caffeine", "sugar", "cake", "biscuits", "crisps", "tea", "sweets",
    "mince pies", "cheese", "carbs", "pizza", "toast", "haribo", "cuteness", "netflix",
)  # fmt: skip
_OVERDOSE_EXCEPTIONS = (
    [
        f"{verb} on {food}"
        for verb in ("overdose", "overdosed", "overdosing", "overdoses")
        for food in _FOODS
    ]
    + [f"{food} overdose" for food in _FOODS]
    + ["overdose of cuteness"]
)

# everyday errands: "can you look after the kids for me while I shower"
_FOR_ME_ERRANDS = (
    "while", "when", "for a", "for an", "for the", "for half", "for ten", "for 10", "for five",
    "for 5", "tomorrow", "today", "tonight", "this", "on", "at", "so", "if", "please", "x",
    "one", "next", "in", "till", "until", "lol", "haha", "because", "cos", "because", "during",
    "after", "before", "sometimes", "now and then",
)  # fmt: skip
_SEE_YOU = (
    "see", "until", "till", "til", "for now", "have", "speak", "catch", "night", "next",
    "lol", "x see", "sleep", "enjoy", "happy", "merry", "and welcome",
)  # fmt: skip
_LETTERS_EVERYDAY = ("school", "nursery", "teacher", "santa", "tooth", "to take", "from")
# "I'm ready" in a risk sense stands alone; "I'm ready for bed" and "yes I'm ready" do not
_READY_FOR = (
    "for", "to", "when", "if", "and waiting", "and raring", "with", "in", "at", "on", "by",
    "lol", "haha", "or",
    "so", "as", "now for", "now to", "now lets", "now x", "x", "?", "are you", "are u",
    "r u", "thanks", "thank", "too", "now too", "hun", "babe", "whenever", "then", "ish",
)  # fmt: skip
_YES_WHEN = (
    "yes", "yeah", "yep", "yh", "ok", "okay", "yay", "finally", "nearly", "almost", "when",
    "if", "until", "till", "whenever", "once",
)  # fmt: skip

_LIVE_PLACES = ("in", "with", "near", "there", "here", "at", "so far", "far", "next to", "abroad")

SELF_HARM_RED = {
    "kill myself": ["kill myself laughing"],
    "killing myself": ["killing myself laughing", "killing myself trying"],
    "killed myself": ["killed myself laughing"],
    # talking about suicide is not having it: training, prevention, the GP's question
    "suicid*": [
        "suicide squad",
        "suicide prevention",
        "suicide awareness",
        "zero suicide",
        "died by suicide",
        "ask about suicide",
        "asking about suicide",
        "asked about suicide",
        "asking directly about suicide",
        "the suicide question",
    ],
    "unaliv*": [],
    "sewer slide": [],
    "want to die": ["want to die my hair", "want to die of embarrassment", "want to die laughing"],
    "wanna die": ["wanna die my hair", "wanna die of embarrassment"],
    "wanted to die": ["wanted to die my hair", "wanted to die of embarrassment"],
    "want to be dead": [],
    "deserve to die": [],
    "wish i was dead": [],
    "wish i were dead": [],
    "wish i could die": [],
    "hope i die": [],
    "hope i dont wake up": [],
    "end it all": [],
    "ending it all": [],
    "end my life": [],
    "ending my life": [],
    "end my own life": [],
    "take my own life": [],
    "taking my own life": [],
    "take my life": ["take my life back"],
    "end my suffering": [],
    "dont want to be here anymore": [],
    "dont want to be here any more": [],
    "dont want to be here no more": [],
    "dont want to be alive": [],
    "dont want to live": [f"dont want to live {p}" for p in _LIVE_PLACES],
    "do not want to live": [f"do not want to live {p}" for p in _LIVE_PLACES],
    "dont wanna live": [f"dont wanna live {p}" for p in _LIVE_PLACES],
    "dont want to exist": [],
    "dont want to wake up": ["dont want to wake up the baby", "dont want to wake up early"],
    "no reason to live": [],
    "nothing to live for": [],
    "not worth living": [],
    "no point living": [],
    "no point in living": [],
    "no point being alive": [],
    "no point in being alive": [],
    "whats the point in living": [],
    "whats the point of living": [],
    "whats the point of being alive": [],
    "cant go on": [
        f"cant go on {w}"
        for w in (
            "holiday",
            "the",
            "a",
            "my",
            "his",
            "her",
            "any",
            "walks",
            "about",
            "forever",
            "without",
            "nights",
            "days",
            "trips",
            "rides",
        )
    ],
    "cannot go on": [
        f"cannot go on {w}" for w in ("holiday", "the", "a", "my", "about", "forever", "without")
    ],
    "cant carry on": [
        f"cant carry on {w}"
        for w in ("with", "breastfeeding", "feeding", "working", "pumping", "expressing", "forever")
    ],
    "better off without me": [],
    "better off dead": [],
    "better off if i was gone": [],
    "better off if i were gone": [],
    "better off if i wasnt here": [],
    "better off if i wasnt around": [],
    "better off if i was dead": [],
    "better off if i died": [],
    "better off if i disappeared": [],
    "better off with me gone": [],
    "wish i wasnt here": [],
    "wish i wasnt alive": [],
    "wish i didnt exist": [],
    "wish i had never been born": [],
    "wish id never been born": [],
    "and never wake up": [],
    "and not wake up": ["and not wake up the baby"],
    "never wake up again": [],
    "overdos*": _OVERDOSE_EXCEPTIONS,
    "take all my pills": [],
    "take all my tablets": [],
    "take all the pills": [],
    "take all the tablets": [],
    "took all my pills": [],
    "took all my tablets": [],
    "took too many pills": [],
    "took too many tablets": [],
    "saving up my pills": [],
    "saving up pills": [],
    "saving my pills": [],
    "saving up my tablets": [],
    "saving up tablets": [],
    "saving my tablets": [],
    "stockpiling pills": [],
    "stockpiling tablets": [],
    "stockpiling my pills": [],
    "stockpiling my tablets": [],
    "hoarding pills": [],
    "hoarding my pills": [],
    "hoarding tablets": [],
    "cut myself": [
        "cut myself shaving",
        "cut myself chopping",
        "cut myself cooking",
        "cut myself on a",
        "cut myself on the",
        "accidentally cut myself",
        "cut myself some slack",
        "cut myself a",
    ],
    "cutting myself": ["cutting myself some slack", "cutting myself a", "cutting myself off"],
    "cut my arm": [],
    "cut my arms": [],
    "cutting my arms": [],
    "cut my wrist": [],
    "cut my wrists": [],
    "cutting my wrists": [],
    "cut my legs": [],
    "cutting my legs": [],
    "cut my thighs": [],
    "cutting my thighs": [],
    "slit my wrists": [],
    "slash my wrists": [],
    "slit my throat": [],
    "self harm*": [
        "self harm training",
        "session on self harm",
        "training on self harm",
        "self harm awareness",
        "self harm question",
        "the self harm one",
    ],
    "harm myself": [],
    "harming myself": [],
    "want to hurt myself": [],
    "going to hurt myself": [],
    "urge to hurt myself": [],
    "urges to hurt myself": [],
    "burn myself": ["burn myself on"],
    "burning myself": ["burning myself on"],
    "hang myself": [],
    "hanging myself": [],
    "hanged myself": [],
    "drown myself": ["drown myself in"],
    "drowning myself": ["drowning myself in"],
    "jump off a bridge": [],
    "jump off the bridge": [],
    "jump off a building": [],
    "jump off a cliff": [],
    "jump in front of a train": [],
    "step in front of a train": [],
    "step in front of a bus": [],
    "step in front of a car": [],
    "throw myself in front of": [],
    "throw myself off": [],
    "throw myself under": [],
    "walk into the sea": [],
    "drive into a wall": [],
    "drive off a cliff": [],
    "crash the car on purpose": [],
    "crash the car into": [],
    "crashing the car into": [],
    "crash my car into": [],
    "crashing my car into": [],
    "into oncoming traffic": [],
    "crash my car on purpose": [],
    "wont be around much longer": [],
    "thinking about ending it": [],
    "thought about ending it": [],
    "thinking of ending it": [],
    "want to end it": ["want to end it with"],
    "going to end it": ["going to end it with"],
    "point in living": [f"point in living {w}" for w in ("in", "near", "with", "at", "so")],
    "point of living": [f"point of living {w}" for w in ("in", "near", "with", "at", "so")],
    "stop existing": [],
    "how many pills would it take": [],
    "how many tablets would it take": [],
    "how many paracetamol would it take": [],
    "wont be here much longer": [],
    "goodbye letter*": [],
    # slang and text-speak for suicide (spelling alone, "wana", "gna", is read in the
    # scanner; these are words with a meaning, kept here for coordinators to extend)
    "ctb": [],
    "kms": [],
    "off myself": [],
    "offing myself": [],
    "delete myself": [],
    "end myself": [],
    "ending myself": [],
    "yeet myself off": [],
    "yeeting myself off": [],
    "go to sleep forever": [],
    "leave this world": [],
    "leave this planet": [],
    "leave this earth": [],
    "tired of being alive": [],
    "sick of being alive": [],
    "tired of living": [],
    "sick of living": [],
    "done with life": [],
    "done with living": [],
    "so over life": [],
    "over being alive": [],
    "cba with being alive": [],
    "cant be bothered being alive": [],
    "cant be arsed being alive": [],
    "point of me being here": [],
    "point in me being here": [],
    "point me being here": [],
    "no reason for me to be here": [],
    "nothing keeping me here": [],
    "dont deserve to be here": [],
    "dont care if i live or die": [],
    "not sure i want to live": [],
    "not sure i want to be alive": [],
    "not sure i want to be here": [],
    "not sure i want to stay alive": [],
    "dont want to stay alive": [],
    "disappear for good": [],
    "want to end everything": [],
    "going to end everything": [],
    "want to sleep forever": [],
    "want to sleep for ever": [],
    "go to sleep for ever": [],
    "handful of pills": [],
    "handful of tablets": [],
    "handful of my pills": [],
    "handful of my tablets": [],
    "jumping off the bridge": [],
    "jumping off a bridge": [],
    "jump of a bridge": [],
    "jump of the bridge": [],
    "jumping of the bridge": [],
    "jumping of a bridge": [],
    # choosing a place or a way: the method planned, not named
    "no railings": ["railings are being fixed", "railings on the stairs", "the cot"],
    "which bridge is the highest": [],
    "highest bridge near": [],
    "high enough to not survive": [],
    "high enough that i wouldnt survive": [],
    "plan my death": [],
    "planning my death": [],
    "plan my exit": [],
    "planning my exit": [],
    "my exit plan": [],
    # farewells, giving things away, "I'm ready" (SAFEGUARDING.md: RED)
    **{
        f"{verb} {who} for me": [f"{verb} {who} for me {w}" for w in _FOR_ME_ERRANDS]
        for verb in ("look after", "take care of", "love")
        for who in (
            "my kids",
            "my children",
            "my baby",
            "my babies",
            "my girls",
            "my boys",
            "my son",
            "my daughter",
            "my boy",
            "my girl",
            "my little one",
            "my little boy",
            "my little girl",
            "the kids",
            "the baby",
        )
    },
    "goodbye everyone": [f"goodbye everyone{p} {w}" for p in ("", ",") for w in _SEE_YOU],
    "goodbye everybody": [f"goodbye everybody{p} {w}" for p in ("", ",") for w in _SEE_YOU],
    "bye everyone forever": [],
    "this is goodbye": ["this is goodbye to", "this is goodbye for now"],
    "saying my goodbyes": ["saying my goodbyes to the", "saying my goodbyes at"],
    "said my goodbyes": ["said my goodbyes to the", "said my goodbyes at"],
    "thank you all for everything": [
        f"thank you all for everything{p} {w}" for p in ("", ",") for w in _SEE_YOU
    ],
    "you will all be better off": [],
    "youll all be better off": [],
    "giving my things away": [],
    "giving away my things": [],
    "giving my stuff away": [],
    "giving away my stuff": [],
    "giving all my things away": [],
    "giving all my stuff away": [],
    "given my things away": [],
    "who gets my things": [],
    "who gets my stuff": [],
    "who should have my things": [],
    "letters for my kids": [],
    "letter for my kids": [],
    "letters for the kids": [f"letters for the kids {w}" for w in _LETTERS_EVERYDAY],
    "letter for the kids": [f"letter for the kids {w}" for w in _LETTERS_EVERYDAY],
    "letter for my children": [],
    "letters for my children": [],
    "ready to die": [],
    "im ready": [f"im ready {w}" for w in _READY_FOR] + [f"{w} im ready" for w in _YES_WHEN],
    "i am ready": [f"i am ready {w}" for w in _READY_FOR] + [f"{w} i am ready" for w in _YES_WHEN],
    "i think im ready": [f"i think im ready {w}" for w in _READY_FOR],
}

SELF_HARM_AMBER = {
    "hurt myself": [
        "hurt myself lifting",
        "hurt myself on",
        "hurt myself falling",
        "hurt myself doing",
        "hurt myself moving",
        "accidentally hurt myself",
    ],
    "hurting myself": ["hurting myself lifting", "hurting myself on", "hurting myself doing"],
    "burnt myself": ["burnt myself on", "burnt myself cooking", "burnt myself making"],
    "burned myself": ["burned myself on", "burned myself cooking", "burned myself making"],
    "cant do this anymore": [],
    "cant do this no more": [],
    "cant take this no more": [],
    "cant take it no more": [],
    "cant cope no more": [],
    "cant do this any more": [],
    "cant cope anymore": [],
    "cant cope any more": [],
    "cant take it anymore": [],
    "cant take it any more": [],
    "cant keep going": [
        f"cant keep going {w}" for w in ("to", "back", "out", "on about", "up", "down", "in")
    ],
    "want it all to stop": [],
    "want it all to end": [],
    "want everything to stop": [],
    "wish i could disappear": [],
    "wish i could just disappear": [],
    "want to disappear": [f"want to disappear {w}" for w in ("to", "for", "on", "into")],
    "cant see a way out": [],
    "no way out": ["no way out of the house", "no way out of the car park"],
    "starve myself": [],
    "starving myself": [],
    "better off with someone else": [],
    "better off with a different mum": [],
    "deserve a better mum": [],
}


# --- baby_harm -----------------------------------------------------------------------------

_BABY = ("the baby", "my baby", "my son", "my daughter", "my little one")
_HARM_VERBS = (
    ("hurting",),
    ("harming",),
    ("shake", "shaking"),
    ("smother", "smothering"),
    ("suffocate", "suffocating"),
    ("drown", "drowning"),
    ("kill", "killing"),
    ("hit", "hitting"),
    ("throw", "throwing"),
    ("stab", "stabbing"),
)
# with "him" and "her" only the verbs that are about a baby (not a partner)
_HIM_HER_VERBS = ("shake", "shaking", "smother", "smothering", "suffocate", "suffocating")
_AFFECTION = ("kisses", "cuddles", "love", "hugs", "cream", "sudocrem", "suncream", "sun cream")
_FEARS = ("scared", "frightened", "afraid", "terrified", "worried")


def _object_exceptions(verb: str, obj: str) -> list[str]:
    phrase = f"{verb} {obj}"
    out = []
    if verb in ("hurt", "harm", "hurting", "harming"):
        # pregnancy questions: "can coughing hurt the baby?", "will it harm my baby"
        out += [f"{phrase}?", f"it {phrase}", f"that {phrase}", f"this {phrase}"]
        out += [f"{phrase} if", f"wont {phrase}", f"doesnt {phrase}", f"wouldnt {phrase}"]
    if verb in ("shake", "shaking"):
        out += [f"{phrase} {w}" for w in ("head", "hand", "rattle", "awake", "off", "up", "gently")]
    if verb in ("smother", "smothering", "drown", "drowning"):
        out += [f"{phrase} {p} {a}" for p in ("in", "with") for a in _AFFECTION]
    if verb in ("throw", "throwing"):
        out += [f"{phrase} out with the bathwater", f"{phrase} a party", f"{phrase} a ball"]
    if verb in ("hit", "hitting"):
        out += [f"{phrase} {w}" for w in ("with a ball", "with his toy", "with her toy")]
    return out


BABY_HARM_AMBER: dict[str, list[str]] = {}
for _verb_pair in _HARM_VERBS:
    for _verb in _verb_pair:
        for _obj in _BABY:
            BABY_HARM_AMBER[f"{_verb} {_obj}"] = _object_exceptions(_verb, _obj)
for _verb in _HIM_HER_VERBS:
    for _obj in ("him", "her"):
        BABY_HARM_AMBER[f"{_verb} {_obj}"] = _object_exceptions(_verb, _obj)
# intrusive-thought wording: "(scared) I'll hurt", "I might hurt", "what if I ..."
for _modal in (
    "ill",
    "i will",
    "i might",
    "i could",
    "i would",
    "id",
    "i may",
    "im going to",
    "im gonna",
):
    for _verb in ("hurt", "harm"):
        _term = f"{_modal} {_verb}"
        BABY_HARM_AMBER[_term] = [
            f"{_term} {w}"
            for w in (
                "myself",
                "my back",
                "his feelings",
                "her feelings",
                "their feelings",
                "your feelings",
                "anyones feelings",
                "someones feelings",
                "the dog",
                "my knee",
                "my wrist",
                "my neck",
                "my supply",
                "my milk",
                "my chances",
            )
        ]
for _obj in ("the baby", "my baby", "my son", "my daughter", "my little one"):
    BABY_HARM_AMBER[f"i hurt {_obj}"] = [f"i hurt {_obj} when i cut", f"did i hurt {_obj}"]
_WHAT_IF_NOT = {  # what follows "what if I ..." in everyday worries
    "hurt": ("myself", "my back", "his feelings", "her feelings", "their feelings"),
    "harm": ("myself", "my supply", "my milk"),
    "drop": (
        "a feed",
        "the night feed",
        "the dream feed",
        "a nap",
        "the nap",
        "her nap",
        "his nap",
        "a bottle",
        "the bottle",
        "my phone",
        "out",
        "off",
        "by",
        "the ball",
        "a class",
    ),
    "hit": ("the wrong", "send", "reply", "my head", "a wall", "the wall", "traffic"),
    "throw": ("up", "a party", "it away", "them away", "the towel in"),
    "kill": ("the mood", "the plant", "the plants", "the vibe"),
}
for _verb in (
    "hurt",
    "harm",
    "shake",
    "smother",
    "suffocate",
    "drown",
    "drop",
    "throw",
    "hit",
    "stab",
    "kill",
):
    BABY_HARM_AMBER[f"what if i {_verb}"] = [
        f"what if i {_verb} {w}" for w in _WHAT_IF_NOT.get(_verb, ())
    ]
_ING = (
    "hurting",
    "harming",
    "dropping",
    "shaking",
    "smothering",
    "suffocating",
    "drowning",
    "throwing",
    "stabbing",
    "hitting",
)
for _frame in ("keep picturing", "keep imagining", "thoughts of", "thoughts about"):
    for _verb in _ING:
        BABY_HARM_AMBER[f"{_frame} {_verb}"] = []
for _frame in ("thought of", "thought about", "cant stop picturing", "keep seeing myself"):
    for _verb in ("hurting", "harming", "shaking", "smothering", "suffocating", "drowning"):
        BABY_HARM_AMBER[f"{_frame} {_verb}"] = []
for _obj in ("him", "her"):
    BABY_HARM_AMBER[f"shook {_obj}"] = [
        f"{w} shook {_obj}" for w in ("it", "that", "this", "which", "really", "news")
    ] + [
        f"shook {_obj} {w}"
        for w in ("head", "hand", "fist", "off", "up", "awake", "rattle", "gently", "toy")
    ]
BABY_HARM_AMBER.update(
    {
        "intrusive thought*": [
            f"intrusive thoughts are {w}"
            for w in (
                "common",
                "really common",
                "very common",
                "so common",
                "normal",
                "really normal",
            )
        ],
        "intrusive image*": [],
        "scary thoughts about the baby": [],
        "horrible thoughts about the baby": [],
        "bad thoughts about the baby": [],
        "dark thoughts about the baby": [],
        "scared to be alone with the baby": [],
        "scared to be left alone with the baby": [],
        "dont trust myself with the baby": [],
        "dont trust myself around the baby": [],
        "dont trust myself with him": [],
        "dont trust myself with her": [],
        "accidentally smother": [],
        "accidentally suffocate": [],
        "accidentally drown": [],
        "drop him down the stairs": [],
        "drop her down the stairs": [],
        "dropping him down the stairs": [],
        "dropping her down the stairs": [],
        "throw him down the stairs": [],
        "throw her down the stairs": [],
    }
)

_INTENT_VERBS = ("hurt", "harm", "shake", "smother", "suffocate", "drown", "strangle")
_INTENT_ING = ("hurting", "harming", "shaking", "smothering", "suffocating", "drowning")


def _intent_exceptions(frame: str, verb: str) -> list[str]:
    phrase = f"{frame} {verb}"
    out = [
        f"dont {phrase}",
        f"do not {phrase}",
        f"never {phrase}",
        f"not {phrase}",
        f"didnt {phrase}",
        f"wouldnt {phrase}",
    ]
    if verb in ("hurt", "harm", "hurting", "harming"):
        out += [
            f"{phrase} {w}"
            for w in (
                "his feelings",
                "her feelings",
                "their feelings",
                "your feelings",
                "anyones feelings",
                "anyone",
                "myself",
                "my back",
                "like",
                "so much",
                "a lot",
            )
        ]
        out += [f"{s} {phrase}" for s in ("it", "is", "its", "this", "thats", "that", "is it")]
        out += [f"{phrase}?"]
    if verb in ("shake", "shaking"):
        out += [
            f"{phrase} {w}"
            for w in (
                "it off",
                "off",
                "things up",
                "my head",
                "hands",
                "the bottle",
                "the formula",
                "the rattle",
                "him awake",
                "her awake",
                "him gently",
                "her gently",
            )
        ]
    if frame in ("going to", "gonna"):
        out += [f"{fear} im {phrase}" for fear in (*_FEARS, "what if")]
        out += [f"{fear} i am {phrase}" for fear in _FEARS]
    return out


BABY_HARM_RED: dict[str, list[str]] = {}
for _frame in (
    "want to",
    "wanted to",
    "wanna",
    "going to",
    "gonna",
    "urge to",
    "urges to",
    "tempted to",
    "could easily",
):
    for _verb in _INTENT_VERBS:
        BABY_HARM_RED[f"{_frame} {_verb}"] = _intent_exceptions(_frame, _verb)
for _frame in ("feel like", "felt like"):
    for _verb in _INTENT_ING:
        BABY_HARM_RED[f"{_frame} {_verb}"] = _intent_exceptions(_frame, _verb)
for _obj in ("the baby", "my baby", "my son", "my daughter"):
    for _frame in ("want to", "going to", "urge to"):
        BABY_HARM_RED[f"{_frame} kill {_obj}"] = [f"dont {_frame} kill {_obj}"]
for _obj in ("him", "her", "the baby"):
    for _frame in ("want to", "urge to", "wanted to"):
        _term = f"{_frame} throw {_obj}"
        BABY_HARM_RED[_term] = [
            f"{_term} {w}" for w in ("a party", "out", "a ball", "a birthday", "a surprise")
        ] + [f"dont {_term}"]
    BABY_HARM_RED[f"throw {_obj} out of the window"] = []
_SHOOK_EXCEPTIONS = [
    f"shook {o} {w}"
    for o in ("him", "her")
    for w in ("head", "hand", "fist", "off", "up", "awake", "rattle", "gently")
]
BABY_HARM_RED.update(
    {
        "shook the baby": [],
        "shook my baby": [],
        "i shook him": [f"i {e}" for e in _SHOOK_EXCEPTIONS if " him " in e],
        "i shook her": [f"i {e}" for e in _SHOOK_EXCEPTIONS if " her " in e],
        "shake her hard": [],
        "shake him hard": [],
        "shook her hard": [],
        "shook him hard": [],
        "shaking her hard": [],
        "shaking him hard": [],
        "shake the baby hard": [],
        "smothered the baby": [],
        "i smothered him": [f"i smothered him {p} {a}" for p in ("in", "with") for a in _AFFECTION],
        "i smothered her": [f"i smothered her {p} {a}" for p in ("in", "with") for a in _AFFECTION],
        "threw the baby": ["threw the baby a", "threw the baby out with the bathwater"],
        "threw him against": [],
        "threw her against": [],
        "threw him across": [],
        "threw her across": [],
    }
)


# --- psychosis -----------------------------------------------------------------------------

PSYCHOSIS_RED = {
    **{
        f"{verb} voices": [
            f"{verb} voices {w}"
            for w in ("of", "next door", "downstairs", "upstairs", "outside", "in the", "through")
        ]
        for verb in ("hearing", "hear", "heard")
    },
    "hearing a voice": [],
    "voices telling me": [],
    "voices keep telling": [],
    "voices tell me": [],
    "voices told me": [],
    "voice telling me to": [],
    "voices in my head": [],
    "voices are telling": [],
    "the voices say": [],
    "the voices said": [],
    "seeing things that arent there": [],
    "see things that arent there": [],
    "hearing things that arent there": [],
    "hear things that arent there": [],
    "seeing things that are not there": [],
    "hearing things that are not there": [],
    "not my real baby": [],
    "isnt my real baby": [],
    "not really my baby": [],
    "isnt really my baby": [],
    "replaced my baby": [],
    "replaced my real baby": [],
    "baby has been replaced": [],
    "baby was replaced": [],
    "baby has been swapped": [],
    "baby was swapped": [],
    "swapped my baby": [],
    "switched my baby": [],
    "baby isnt mine": [],
    "baby is not mine": [],
    "swapped at birth": [],
    "switched at birth": [],
    "swapped her at the hospital": [],
    "swapped him at the hospital": [],
    "messages through the tv": [],
    "messages through the radio": [],
    "radio is talking to me": [],
    "baby is an imposter": [],
    "baby is an impostor": [],
    "baby is possessed": [],
    "possessed by the devil": [],
    "possessed by a demon": [],
    "baby is evil": [],
    "baby is the devil": [],
    "baby isnt real": [],
    "baby is not real": [],
    "god told me to": [],
    "god is telling me": [],
    "god is talking to me": [],
    "god speaks to me": [],
    "god wants me to": [],
    "messages from god": [],
    "tv is talking to me": [],
    "talking to me through the tv": [],
    "sending me messages": [],
    "sending me signals": [],
    "giving me signals": [],
    "signals about what to do": [],
    "secret messages": [],
    "hidden messages": [],
    "special powers": [],
    "i have powers": [],
    "im the chosen one": [],
    "people are watching me": [],
    "theyre watching me": [],
    "they are watching me": [],
    "reading my thoughts": [],
    "can read my thoughts": [],
    "putting thoughts in my head": [],
    "controlling my thoughts": [],
    "controlling my mind": [],
}

PSYCHOSIS_AMBER = {
    "not slept in days": [],
    "not slept for days": [],
    "havent slept in days": [],
    "havent slept for days": [],
    "no sleep in days": [],
    "no sleep for days": [],
    "not slept at all in": [],
    "cant sleep even when the baby sleeps": [],
    "cant sleep even when baby sleeps": [],
    "cant sleep even when shes asleep": [],
    "cant sleep even when hes asleep": [],
    "dont need sleep": [],
    "dont need to sleep": [],
    "thoughts are racing": [],
    "racing thoughts": [],
    "thoughts are strange": [],
    "thoughts are weird": [],
    "thoughts dont make sense": [],
    "nothing feels real": [],
    "nothing seems real": [],
    "i dont feel real": [],
    "im not real": [],
    "hallucinat*": [],
    "voice in my head": [],
    "someone is watching me": [],
    "being watched": [],
    "being followed": [],
    "trying to poison me": [],
    "poisoning my food": [],
    "feel invincible": [],
    "imposter": ["imposter syndrome"],
    "impostor": ["impostor syndrome"],
}


# --- abuse_dv ------------------------------------------------------------------------------

_ADULTS = ("my partner", "my husband", "my boyfriend", "my ex", "my hubby", "my other half")
# act -> what follows it in everyday phrases ("threw me a party", "beat me at cards")
_VIOLENCE = {
    "hit me": (),
    "hits me": (),
    "slapped me": (),
    "slaps me": (),
    "punched me": (),
    "kicked me": (),
    "pushed me": ("to go", "to get", "to see", "to ask", "to call", "to talk", "to try", "to book"),
    "shoved me": (),
    "beat me": ("at", "to it", "to the"),
    "threw me": ("a", "an", "off"),
    "grabbed me": ("a", "an", "some"),
}
# "he'll kill me when he sees the Amazon bill": said of a partner, and a joke
_JOKES_AFTER = (
    "when he sees", "when he finds out", "when he gets the", "when he gets home and sees",
    "lol", "haha", "for",
)  # fmt: skip


def _kill_me_jokes(term: str) -> list[str]:
    return [f"{term} {w}" for w in _JOKES_AFTER]


ABUSE_RED: dict[str, list[str]] = {}
for _who in _ADULTS:
    for _act, _after in _VIOLENCE.items():
        ABUSE_RED[f"{_who} {_act}"] = [f"{_who} {_act} {w}" for w in _after]
ABUSE_RED.update(
    {
        "he hits me": [],
        "he hit me": [],
        "hes hit me": [],
        "he has hit me": [],
        "he beats me": [],
        "he beat me": [],
        "he punched me": [],
        "he punches me": [],
        "he strangled me": [],
        "he strangles me": [],
        "he choked me": [],
        "he chokes me": [],
        "he threw me": [],
        "he pushed me down": [],
        "strangled me": [],
        "raped me": [],
        "beat me up": [],
        "beats me up": [],
        "choked me": ["choked me up"],
        "hands round my neck": [],
        "hands around my neck": [],
        "hands round my throat": [],
        "hands around my throat": [],
        "by the throat": [],
        "pinned me down": [],
        "held me down": [],
        "forced himself on me": [],
        "forced me to have sex": [],
        "forces me to have sex": [],
        "made me have sex": [],
        "makes me have sex": [],
        "threatened to kill me": [],
        "threatens to kill me": [],
        "threatening to kill me": [],
        "threatened to kill": ["threatened to kill the spider", "threatened to kill the dog"],
        "said hed kill me": [],
        "said hell kill me": [],
        "said he will kill me": [],
        "says hes going to kill me": [],
        "said hes going to kill me": [],
        "hes going to kill me": _kill_me_jokes("hes going to kill me"),
        "he will kill me": _kill_me_jokes("he will kill me"),
        "hell kill me": _kill_me_jokes("hell kill me"),
        "hell kill me tonight": [],
        "going to kill us": [f"going to kill us {w}" for w in ("with", "lol", "haha")],
        "hell kill us": _kill_me_jokes("hell kill us"),
        "he will kill us": _kill_me_jokes("he will kill us"),
        "wont get out of here alive": [],
        "not walking out of here in one piece": [],
        "wont walk out of here in one piece": [],
        "not leaving here in one piece": [],
        "next time its me": [],
        "next time it will be me": [],
        "next time itll be me": [],
        "next time it wont be the wall": [],
        "wont get out of this alive": [],
        "not getting out of here alive": [],
        "wont make it out alive": [],
        "wont leave here alive": [],
        "wont see the morning": [],
        "hes got a knife": [],
        "he has a knife": [],
        "hes holding a knife": [],
        "hes hitting me": [],
        "hes kicking me": [],
        "hes punching me": [],
        "hes strangling me": [],
        "hes choking me": [],
        "kicked the door in": [],
        # danger now, in the words of the moment
        "youre dead when i get home": [],
        "youre dead when he gets home": [],
        "with us in it": [],
        "with me in it": [],
        "tried to strangle me": [],
        "trying to strangle me": [],
        "hes smashing up": [],
        "hes smashing the": [],
        "not leaving this house alive": [],
        "not leaving here alive": [],
        "wont leave this house alive": [],
        "make it look like an accident": [],
        "threatening to stab me": [],
        "threatened to stab me": [],
        "put me in the ground": [],
        "end us both": [],
        "hes coming for me": [],
        "coming for me and the baby": [],
        "hiding from him": [],
        "hes beating me": [],
        "hes beating my": [],
        "is beating my": [],
        "dragged me by my hair": [],
        "dragged me across": [],
        "threw me down the stairs": [],
        "pushed me down the stairs": [],
        "held a knife to": [],
        "held a lighter to": [],
        "held the baby over": [],
        "stamped on my": [],
        "he broke my nose": [],
        "he broke my arm": [],
        "he broke my ribs": [],
        "kicking the door in": [],
        "said he would kill me": [],
        "says hell kill me": [],
        "says he will kill me": [],
        "said hed kill the baby": [],
        "threatened me with a knife": [],
        "not safe at home": [],
        "dont feel safe at home": [],
        "not safe with him": [],
        "dont feel safe with him": [],
        "he hits the baby": [],
        "he hit the baby": [],
        "he hurt the baby": [],
        "he hurts the baby": [],
        "he shook the baby": [],
        "he shakes the baby": [],
        "he hits the kids": [],
        "he hurts the kids": [],
        "he hit my son": [],
        "he hit my daughter": [],
    }
)

ABUSE_AMBER: dict[str, list[str]] = {}
for _who in _ADULTS:
    for _act in ("hurt me", "hurts me"):  # also said of hurt feelings: a human reads it
        ABUSE_AMBER[f"{_who} {_act}"] = [f"{_who} {_act} {w}" for w in ("feelings", "by saying")]
# "won't let me ..." is also said of babies and toddlers
_LITTLE = ("baby", "toddler", "she", "lo", "son", "daughter", "one", "twins", "boy", "girl", "it")


def _not_little(term: str) -> list[str]:
    return [f"{who} {term}" for who in _LITTLE]


for _fear in ("afraid of", "scared of", "frightened of", "terrified of"):
    for _who in ("my partner", "my husband", "my boyfriend", "my ex", "him"):
        ABUSE_AMBER[f"{_fear} {_who}"] = []
ABUSE_AMBER.update(
    {
        "walking on eggshells": [],
        "walk on eggshells": [],
        "controls the money": [],
        "controls all the money": [],
        "controls my money": [],
        "controls the finances": [],
        "controls everything i": [],
        "controls who i see": [],
        "takes my money": [],
        "takes all my money": [],
        "took my bank card": [],
        "takes my bank card": [],
        "wont let me leave": _not_little("wont let me leave"),
        "doesnt let me leave": _not_little("doesnt let me leave"),
        "not allowed to leave": [],
        "wont let me go out": _not_little("wont let me go out"),
        "wont let me out": _not_little("wont let me out"),
        "wont let me see my": _not_little("wont let me see my"),
        "wont let me see friends": _not_little("wont let me see friends"),
        "wont let me have money": [],
        "wont let me work": [],
        "wont let me drive": [],
        "wont let me have my own": [],
        "not allowed to see my": [],
        "locks me in": [],
        "locked me in": [],
        "takes my phone": [],
        "took my phone off me": [],
        "checks my phone": [],
        "goes through my phone": [],
        "tracks my phone": [],
        "tracks my location": [],
        "tracking my location": [],
        "reads my messages": [],
        "isolates me": [],
        "hes so controlling": [],
        "hes very controlling": [],
        "hes really controlling": [],
        "controlling partner": [],
        "controlling husband": [],
        "controlling relationship": [],
        "coercive": [
            f"coercive control {w}"
            for w in ("session", "training", "course", "module", "awareness", "talk")
        ]
        + ["session on coercive control", "training on coercive control"],
        # the helpline and training are named, not suffered
        "domestic abuse": [
            f"domestic abuse {w}"
            for w in (
                "helpline",
                "line",
                "service",
                "services",
                "support",
                "training",
                "charity",
                "advisor",
                "adviser",
                "worker",
                "team",
                "session",
                "course",
                "awareness",
                "module",
            )
        ],
        "domestic violence": [],
        "abusive relationship": [],
        "hes abusive": [],
        "he is abusive": [],
        "my abuser": [],
        "threatens me": [],
        "threatened me": [],
        "threatens to take the baby": [],
        "threatened to take the baby": [],
        "threatens to take the kids": [],
        "said hed take the baby": [],
        "says hell take the baby": [],
        "screams at me": [],
        "shouts at me": [],
        "calls me useless": [],
        "calls me stupid": [],
        "calls me fat": [],
        "calls me a bad mum": [],
        "tells me im useless": [],
        "tells me im crazy": [],
        "tells me im a bad mum": [],
        "says im crazy": [],
        "says im a bad mum": [],
        "says im a bad mother": [],
        "smashed my phone": [],
        "smashes things": [],
        "punched the wall": [],
        "punches walls": [],
        "throws things at me": [],
        "threw things at me": [],
        "scared to go home": [],
        "keeps turning up at": [],
        "stalking me": [],
        "spat at me": [],
        "spits at me": [],
        "afraid to go home": [],
        "rape*": ["rapeseed"],
        "sexually assaulted": [],
        "sexual assault": [],
    }
)


# --- contact (what the built-in detectors miss) -------------------------------------------

CONTACT = [
    "where do you live",
    "where do u live",
    "whereabouts do you live",
    "what street do you live",
    "what road do you live",
    "which street do you live",
    "send me your address",
    "whats your address",
    "whats ur address",
    "my house number",
    "my surname is",
    "my full name is",
    "my last name is",
    "bank details",
    "sort code",
    "paypal me",
    "send me money",
    "lend me money",
    "cash app me",
    # moving off Village without naming the app, or meeting out of the volunteers' sight
    "hmu on",
    "hit me up on",
    "drop ur num",
    "drop your num",
    "drop your number",
    "my digits",
    "rest of my number",
    "end of my number",
    "put me in your phone",
    "in your phone as",
    "my handle is",
    "same handle",
    "same username",
    "same name on",
    "search my name",
    "search for me on",
    "look for me on",
    "facebook friends",
    "fb friends",
    "insta friends",
    "send you a friend request",
    "sent you a friend request",
    "sent you a request",
    "follow me back",
    "check your message requests",
    "on the gram",
    "on the ghost",
    "the snap one",
    "the green 1",
    "my youtube is",
    "my fb is",
    "heres my snap",
    "my snap is",
    "sn on",
    "my profile picture",
    "on the other place",
    "somewhere else to chat",
    "chat somewhere else",
    "talk somewhere else",
    "get off here",
    "lets get off here",
    "cant say it on here",
    "cant say on here",
    "wont say on here",
    "dont mention it on here",
    "too public in here",
    "where nobody is watching",
    "where nobodys watching",
    "not monitored",
    "without it being monitored",
    "the mods cant",
    "round the filter",
    "stops the bot",
    "beat the filter",
    "because it gets held",
    "so it doesnt get held",
    "dont tell the group",
    "dont tell the team",
    "dont have to tell the team",
    "dont tell the volunteers",
    "dont tell the coordinators",
    "the coordinators dont need to know",
    "the volunteers dont need to know",
    "keep it between ourselves",
    "keep this between ourselves",
    "keep it between us",
    "keep that between us",
    "keep this between us",
    "meet somewhere private",
    "meet without telling",
    "message me where",
    "not through the service",
    "my second phone",
    "a second phone",
]


# --- hostility -----------------------------------------------------------------------------

_YOU_INSULTS = (
    "idiot",
    "bitch",
    "cow",
    "slag",
    "slut",
    "whore",
    "loser",
    "freak",
    "moron",
    "twat",
    "cunt",
    "dick",
    "prick",
    "muppet",
    "stupid",
    "pathetic",
    "disgusting",
    "useless",
    "selfish",
    "vile",
    "psycho",
    "weirdo",
    "liar",
    "troll",
    "waste of space",
)
_MUM_INSULTS = (
    "rubbish mum",
    "bad mum",
    "terrible mum",
    "awful mum",
    "useless mum",
    "crap mum",
    "shit mum",
    "bad mother",
    "terrible mother",
    "unfit mother",
)
_NOUN_INSULTS = (
    "joke",
    "disgrace",
    "failure",
    "attention seeker",
    "drama queen",
    "waste of space",
    "bitch",
    "cow",
    "loser",
)
_YOU_ARE = ("you are a", "youre a", "your a", "ur a", "you are such a", "youre such a")

HOSTILITY: dict[str, list[str]] = {f"you {w}": [] for w in _YOU_INSULTS}
for _frame in _YOU_ARE:
    for _insult in _MUM_INSULTS:
        HOSTILITY[f"{_frame} {_insult}"] = []
for _frame in _YOU_ARE[:4]:
    for _insult in _NOUN_INSULTS:
        HOSTILITY[f"{_frame} {_insult}"] = []
for _frame in ("you are", "youre", "ur"):
    for _adj in ("pathetic", "disgusting", "vile", "a joke", "an idiot", "a liar", "a disgrace"):
        HOSTILITY[f"{_frame} {_adj}"] = []
# "ur so thick", "you're such a cow", "you're an embarrassment to this group": an
# insult aimed at her, whatever words come between ("proper", "actually", "complete").
_ADJ_INSULTS = (
    "thick", "deluded", "stupid", "pathetic", "disgusting", "vile", "selfish", "boring",
    "unbearable", "spoilt", "lazy", "horrible", "ugly", "dumb", "embarrassing", "nasty",
    "toxic", "insufferable", "annoying", "fake",
)  # fmt: skip
_NOUN_INSULTS_AT = (
    "idiot", "cow", "bitch", "brat", "embarrassment", "disgrace", "drama queen",
    "attention seeker", "liar", "loser", "nightmare", "horrible person", "waste of space",
    "joke", "moron", "muppet", "clown", "selfish bitch", "spoilt brat", "failure",
)  # fmt: skip
for _frame in ("you are", "youre", "ur"):
    for _mod in ("so", "proper", "actually"):
        for _adj in _ADJ_INSULTS:
            HOSTILITY[f"{_frame} {_mod} {_adj}"] = []
    for _mod in ("a", "an", "such a", "a complete", "an absolute"):
        for _noun in _NOUN_INSULTS_AT:
            HOSTILITY.setdefault(f"{_frame} {_mod} {_noun}", [])
HOSTILITY.update(
    {
        # threats and contempt aimed at someone in the room
        "i know where you live": [],
        "ill find you": [],
        "ill batter you": [],
        "youll regret it": [],
        "and see what happens": [],
        "shut your mouth": [],
        "so shut it": [],
        "stupid woman": [],
        "get a grip woman": [],
        "jog on": [],
        "bore off": [],
        "nobody will miss you": [],
        "no one will miss you": [],
        "nobody wants to hear you": [],
        "no one wants to hear you": [],
        "nobody cares": ["nobody cares if", "nobody cares what", "nobody cares about the"],
        "hope your kids get taken": [],
        "hope your baby gets taken": [],
        "hope your husband leaves you": [],
        "hope ur husband leaves": [],
        "your kids get taken off you": [],
        "go back to your own country": [],
        "go back to your country": [],
        "dont speak proper english": [],
        "you need to be sectioned": [],
        "should be locked up": [],
        "not a real mum": ["not a real mum yet"],
        "your baby is ugly": [],
        "your babys ugly": [],
        "makes me want to be sick": ["makes me want to be sick in the car"],
        "you need therapy": [],
        "grow up you": [],
        "shut up": [
            "wont shut up",
            "wouldnt shut up",
            "doesnt shut up",
            "didnt shut up",
            "cant shut up",
            "shut up shop",
            "shut up and take my money",
        ],
        "shut the fuck up": [],
        "stfu": [],
        "nobody wants you here": [],
        "no one wants you here": [],
        "nobody wants you": [],
        "no one wants you": [],
        "nobody likes you": [],
        "no one likes you": [],
        "nobody cares about you": [],
        "no one cares about you": [],
        "nobody cares about your": [],
        "no one cares about your": [],
        "stop attention seeking": [],
        "nobody asked you": [],
        "no one asked you": [],
        "you should leave the group": [],
        "get out of this group": [],
        "go away and die": [],
        "go and die": [],
        "go die": [],
        "hope you die": [],
        "you should die": [],
        "you deserve to die": [],
        "kill yourself": [],
        "kys": [],
        "you dont deserve your baby": [],
        "you dont deserve that baby": [],
        "you dont deserve your kids": [],
        "you dont deserve to be a mum": [],
        "you dont deserve to be a mother": [],
        "better off without you": [],
        "shame on you": [],
        "you should be ashamed": [],
        "you make me sick": [],
        "stop moaning": [],
        "stop whining": [],
        "stop whinging": [],
        "get over yourself": [],
        "fuck off": [],
        "piss off": [],
        "fuck you": [],
        "screw you": [],
        "retard": [],
        "retarded": [],
        "retards": [],
        "cunt": [],
        "cunts": [],
    }
)


DEFAULT_RULES: list[dict] = [
    *_rules("self_harm", RED, SELF_HARM_RED),
    *_rules("self_harm", AMBER, SELF_HARM_AMBER),
    *_rules("baby_harm", RED, BABY_HARM_RED),
    *_rules("baby_harm", AMBER, BABY_HARM_AMBER),
    *_rules("psychosis", RED, PSYCHOSIS_RED),
    *_rules("psychosis", AMBER, PSYCHOSIS_AMBER),
    *_rules("abuse_dv", RED, ABUSE_RED),
    *_rules("abuse_dv", AMBER, ABUSE_AMBER),
    *_rules("contact", AMBER, CONTACT, action="hold"),
    *_rules("hostility", AMBER, HOSTILITY),
]
