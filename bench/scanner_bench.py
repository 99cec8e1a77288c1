"""Micro-benchmark of the keyword scanner: does a scan cost more with more rules?

    .venv/bin/python bench/scanner_bench.py [--runs 5000]

Builds Scanners with 100, 1,000 and 10,000 rules (the default rules, then
generated distinct terms, some with wildcards and exceptions, up to the size;
with more defaults than the size, an even sample of them across every
category), each with the built-in contact detectors, times
the build (cold: nothing cached; warm: a rebuild in the same process, as when
a coordinator edits a rule), and the median time of one scan of a realistic
500-character message (all sizes timed in interleaved rounds, so that the
machine's drift falls on each alike). Then the risk model's cost by message
length (moderation/risk_model.py: e5 on one thread, n-grams, six heads; long
messages in windows), the median of --model-runs scores per length. Prints
tables and writes bench/results/scanner.json.

Plain Python: `moderation.scanner` imports without Django settings.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderation import scanner as scanner_module  # noqa: E402
from moderation.default_rules import DEFAULT_RULES  # noqa: E402
from moderation.scanner import RuleSpec, Scanner  # noqa: E402

SIZES = (100, 1_000, 10_000)

# A realistic message: long, ordinary, with numbers, punctuation and an emoji;
# it trips nothing, so the time is the scan itself.
MESSAGE = (
    "Evening, all. Bit of a rough one today if I'm honest. Little one was up at 2am, 4am "
    "and again at 5.30 so I've had maybe three hours' sleep, and then the health visitor "
    "came at 10 to weigh her (7lb 12oz, so she's finally back above birth weight!). I "
    "cried in the car park afterwards, not sure why. My husband has been brilliant with "
    "the night feeds at weekends but he's back at work now. Does anyone else find the "
    "evenings the hardest? I keep thinking I'm doing it all wrong. Thanks for listening xx "
    "\U0001f49b"
)


def default_specs() -> list[RuleSpec]:
    return [
        RuleSpec(i, r["term"], r["category"], r["level"], r["action"], tuple(r["exceptions"]))
        for i, r in enumerate(DEFAULT_RULES)
    ]


def generated_specs(count: int, start: int, seed: int = 7) -> list[RuleSpec]:
    """Distinct made-up words and phrases; a tenth with a wildcard, a tenth with exceptions."""
    rng = random.Random(seed)
    syllables = [a + b for a in "bdfgklmnprstvz" for b in ("a", "e", "i", "o", "u", "ai", "ou")]
    categories = ("self_harm", "baby_harm", "psychosis", "abuse_dv", "contact", "hostility")
    seen: set[str] = set()
    specs = []
    while len(specs) < count:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(3, 4)))
        term = (
            word if rng.random() < 0.6 else f"{word} {rng.choice(syllables)}{rng.choice(syllables)}"
        )
        if term in seen:
            continue
        seen.add(term)
        roll = rng.random()
        exceptions: tuple[str, ...] = ()
        if roll < 0.1:
            term += "*"
        elif roll < 0.2:
            exceptions = (f"{term} {rng.choice(syllables)}",)
        specs.append(
            RuleSpec(
                f"gen-{start + len(specs)}",
                term,
                rng.choice(categories),
                rng.choice(("RED", "AMBER")),
                "default",
                exceptions,
            )
        )
    return specs


def rules_for(size: int) -> list[RuleSpec]:
    defaults = default_specs()
    if size <= len(defaults):
        step = len(defaults) / size
        return [defaults[int(i * step)] for i in range(size)]
    return defaults + generated_specs(size - len(defaults), len(defaults))


def clear_caches() -> None:
    scanner_module._prepare.cache_clear()
    scanner_module._single_double_variants.cache_clear()
    scanner_module._FOLD_TABLE.clear()
    scanner_module._NOT_ONE_TO_ONE.clear()


def time_scans(
    scanners: list[Scanner], text: str, runs: int, rounds: int = 10
) -> list[list[float]]:
    """Times of one scan (µs) per scanner, taken in interleaved rounds so that drift in
    the machine's speed (other processes, clock changes) falls on every size alike."""
    times: list[list[float]] = [[] for _ in scanners]
    per_round = max(1, runs // rounds)
    for _ in range(rounds):
        for scanner, bucket in zip(scanners, times, strict=True):
            for _ in range(per_round):
                t0 = time.perf_counter_ns()
                scanner.scan(text)
                bucket.append((time.perf_counter_ns() - t0) / 1000)
    return times


MODEL_LENGTHS = (50, 100, 250, 500, 1000, 2000)  # 2,000: the longest message Village takes


def model_costs(runs: int) -> list[dict]:
    """Median and p95 milliseconds of one RiskModel.score, by message length."""
    from moderation import risk_model

    model = risk_model.load(risk_model.ARTEFACTS["e5"])
    long_text = (MESSAGE + " ") * 5
    model.score(MESSAGE)  # loads the engine and warms its caches
    rows = []
    for length in MODEL_LENGTHS:
        text = long_text[:length]
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            model.score(text)
            samples.append((time.perf_counter() - t0) * 1000)
        samples.sort()
        rows.append(
            {
                "chars": length,
                "windows": len(risk_model.windows_to_score(text)),
                "score_median_ms": round(statistics.median(samples), 1),
                "score_p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 1),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000, help="scans per size (default 5000)")
    parser.add_argument(
        "--model-runs", type=int, default=20, help="model scores per length (default 20)"
    )
    args = parser.parse_args()

    built = []
    for size in SIZES:
        rules = rules_for(size)
        clear_caches()
        t0 = time.perf_counter()
        scanner = Scanner(rules)
        cold_ms = (time.perf_counter() - t0) * 1000
        warm = []
        for _ in range(3):
            t0 = time.perf_counter()
            scanner = Scanner(rules)
            warm.append((time.perf_counter() - t0) * 1000)
        built.append((rules, scanner, cold_ms, statistics.median(warm)))

    # warm up (CPU clocks, caches), then time all sizes in interleaved rounds
    deadline = time.perf_counter() + 1.0
    while time.perf_counter() < deadline:
        for _, scanner, _, _ in built:
            scanner.scan(MESSAGE)
    times = time_scans([b[1] for b in built], MESSAGE, args.runs)

    results = []
    for (rules, scanner, cold_ms, warm_ms), samples in zip(built, times, strict=True):
        samples.sort()
        results.append(
            {
                "rules": len(rules),
                "automaton_keys": scanner.key_count,
                "build_cold_ms": round(cold_ms, 1),
                "build_warm_ms": round(warm_ms, 1),
                "scan_median_us": round(statistics.median(samples), 1),
                "scan_p95_us": round(samples[int(len(samples) * 0.95) - 1], 1),
                "matches": len(scanner.scan(MESSAGE)),
            }
        )

    print(f"message: {len(MESSAGE)} characters, {args.runs} scans per size (contact detectors on)")
    header = ("rules", "keys", "build cold ms", "build warm ms", "scan median µs", "scan p95 µs")
    print(" | ".join(f"{h:>14}" for h in header))
    print("-+-".join("-" * 14 for _ in header))
    for r in results:
        row = (
            r["rules"],
            r["automaton_keys"],
            r["build_cold_ms"],
            r["build_warm_ms"],
            r["scan_median_us"],
            r["scan_p95_us"],
        )
        print(" | ".join(f"{v:>14,}" if isinstance(v, int) else f"{v:>14.1f}" for v in row))

    model = model_costs(args.model_runs)
    print()
    print(f"risk model, one thread, {args.model_runs} scores per length")
    header = ("chars", "windows", "median ms", "p95 ms")
    print(" | ".join(f"{h:>10}" for h in header))
    for r in model:
        print(
            " | ".join(
                f"{v:>10}"
                for v in (r["chars"], r["windows"], r["score_median_ms"], r["score_p95_ms"])
            )
        )

    out = ROOT / "bench" / "results" / "scanner.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "message_chars": len(MESSAGE),
                "runs": args.runs,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "results": results,
                "model": model,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
