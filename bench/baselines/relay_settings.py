"""Settings of the Channels relay baseline: a channel layer and nothing else.

No database, no apps, no middleware: whatever the relay costs beyond
`ws_broadcast` is Channels and its layer. The layer is chosen by
`BENCH_LAYER`: `pubsub` (the default, as Village runs), `core` or `memory`;
Redis at `REDIS_URL`, keys under `BENCH_LAYER_PREFIX`.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured

LAYER_BACKENDS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
    "memory": "channels.layers.InMemoryChannelLayer",
}

SECRET_KEY = "bench-relay-baseline-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
DATABASES: dict[str, dict[str, Any]] = {}
INSTALLED_APPS: list[str] = []
ASGI_APPLICATION = "bench.baselines.relay.application"

BENCH_LAYER = os.environ.get("BENCH_LAYER", "pubsub")
if BENCH_LAYER not in LAYER_BACKENDS:
    raise ImproperlyConfigured(f"BENCH_LAYER must be one of {', '.join(LAYER_BACKENDS)}")
CHANNEL_LAYERS: dict[str, dict[str, Any]] = {"default": {"BACKEND": LAYER_BACKENDS[BENCH_LAYER]}}
if BENCH_LAYER != "memory":
    CHANNEL_LAYERS["default"]["CONFIG"] = {
        "hosts": [os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")],
        "prefix": os.environ.get("BENCH_LAYER_PREFIX", "bench:relay"),
    }
