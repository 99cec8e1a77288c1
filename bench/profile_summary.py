"""Summarise py-spy's raw samples (BENCH_PROFILE=1 python -m bench.run ...).

    python -m bench.profile_summary bench/results/profiles/village-0-*.txt

Prints where the server spent its time: the functions with the most samples
of their own, and the project's and the stack's functions by samples under
them (inclusive), as percentages of all samples.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

OURS = (" (chat/", " (moderation/", " (accounts/", " (village/")
# Where a sample's own frame lives, by the path py-spy prints.
LAYERS = {
    "daphne, twisted, autobahn (the server, frames)": ("(daphne/", "(twisted/", "(autobahn/"),
    "channels, channels_redis, msgpack (the layer)": ("(channels/", "(channels_redis/", "(msgpack"),
    "redis client": ("(redis/",),
    "django ORM and db": ("(django/db/",),
    "django, other": ("(django/",),
    "psycopg (talking to PostgreSQL)": ("(psycopg",),
    "asgiref (thread hops)": ("(asgiref/",),
    "asyncio, selectors, threads": ("(asyncio/", "(selectors", "(threading", "(concurrent/"),
    "json": ("(json/",),
    "Village's code": tuple(o.strip() for o in OURS),
}


def summarise(paths: list[Path], top: int = 25) -> str:
    own, under, total = Counter(), Counter(), 0
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            samples = int(count)
            total += samples
            frames = stack.split(";")
            own[frames[-1]] += samples
            for frame in {f.rsplit(":", 1)[0] for f in frames}:  # by function, not line
                under[frame] += samples
    lines = [f"{total} samples", "-- own time by layer"]
    by_layer = Counter()
    for frame, n in own.items():
        layer = next((name for name, marks in LAYERS.items() if any(m in frame for m in marks)),
                     "other")  # fmt: skip
        by_layer[layer] += n
    lines += [f"{100 * n / total:5.1f}%  {layer}" for layer, n in by_layer.most_common()]
    lines.append("-- own time")
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines.append("-- inclusive, Village's code")
    ours = [(f, n) for f, n in under.most_common() if any(part in f for part in OURS)]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in ours[:top]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarise([Path(p) for p in sys.argv[1:]]))
