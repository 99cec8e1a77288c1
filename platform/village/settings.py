"""Village settings, read from the environment.

`VILLAGE_ENV` is `demo` (the default: runs on a fresh machine with SQLite
and the in-memory channel layer) or `production`. `DATABASE_URL` and
`REDIS_URL` choose PostgreSQL and Redis in either mode and never switch the
mode by themselves. Production refuses to start without a real secret key,
PostgreSQL and Redis.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

VILLAGE_ENV = env.str("VILLAGE_ENV", default="demo")
if VILLAGE_ENV not in {"demo", "production"}:
    raise ImproperlyConfigured(f"VILLAGE_ENV must be 'demo' or 'production', not {VILLAGE_ENV!r}.")
PRODUCTION = VILLAGE_ENV == "production"
DEMO = not PRODUCTION

# --- Core -----------------------------------------------------------------

_DEMO_SECRET_KEY = "django-insecure-village-demo-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="" if PRODUCTION else _DEMO_SECRET_KEY)
if PRODUCTION and (
    len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure") or len(set(SECRET_KEY)) < 5
):
    raise ImproperlyConfigured(
        "Production needs DJANGO_SECRET_KEY: at least 50 random characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )

DEBUG = env.bool("DJANGO_DEBUG", default=DEMO)
ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Production needs DJANGO_ALLOWED_HOSTS (comma separated).")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "audit",
    "accounts",
    "chat",
    "moderation",
    "intake",
    "volunteers",
    "outcomes",
    # Site wiring, last: it holds the management commands that span apps.
    "village",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffMFAMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "village.urls"
WSGI_APPLICATION = "village.wsgi.application"
ASGI_APPLICATION = "village.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "village.context_processors.navigation",
                "outcomes.context_processors.outcome_prompts",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

if PRODUCTION and "DATABASE_URL" not in env:
    raise ImproperlyConfigured("Production needs DATABASE_URL (PostgreSQL).")
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'village.sqlite3'}")
}
_db = DATABASES["default"]
if PRODUCTION and _db["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "Production needs PostgreSQL: DATABASE_URL is not a postgres:// URL."
    )
if _db["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # A file test database, so that subprocess servers (browser tests) see it;
    # one per test run, so that two runs on one machine do not collide.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    _db["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
else:
    # Keep connections between requests, checked before reuse.
    _db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    # A vanished database must not hold a thread for minutes: bounded connects,
    # and TCP keepalives that notice a dead peer.
    _db["OPTIONS"] = {
        "connect_timeout": 3,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": 10000,
        **_db.get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache ---------------------------------------

if PRODUCTION and "REDIS_URL" not in env:
    raise ImproperlyConfigured("Production needs REDIS_URL.")
REDIS_URL = env.str("REDIS_URL", default="")
# Keys in Redis start with this prefix; the test suite gives each run its own.
REDIS_PREFIX = env.str("VILLAGE_REDIS_PREFIX", default="village")

# Pub/sub: delivers every broadcast under load (see DESIGN.md and
# docs/performance.md); the database and catch-up make up for what Redis
# drops. `core` (RedisChannelLayer) is kept selectable for the benchmarks.
_LAYER_BACKENDS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "core": "channels_redis.core.RedisChannelLayer",
}
VILLAGE_CHANNEL_LAYER = env.str("VILLAGE_CHANNEL_LAYER", default="pubsub")
if VILLAGE_CHANNEL_LAYER not in _LAYER_BACKENDS:
    raise ImproperlyConfigured(
        f"VILLAGE_CHANNEL_LAYER must be one of {sorted(_LAYER_BACKENDS)}, "
        f"not {VILLAGE_CHANNEL_LAYER!r}."
    )
# The pub/sub layer sends every subscribe, unsubscribe and publish of a
# process through one Redis connection per listed host, one at a time; the
# same Redis listed N times gives N connections in parallel (channels are
# spread over them by hash, the same way in every process).
VILLAGE_LAYER_CONNECTIONS = env.int("VILLAGE_LAYER_CONNECTIONS", default=1)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": _LAYER_BACKENDS[VILLAGE_CHANNEL_LAYER],
            "CONFIG": {
                "hosts": [REDIS_URL] * VILLAGE_LAYER_CONNECTIONS,
                "prefix": f"{REDIS_PREFIX}:layer",
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_PREFIX}:cache",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts -------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_FORMS = {"signup": "accounts.forms.MemberSignupForm"}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Logs her in on confirmation only in the browser that signed up (allauth keeps
# the pending login in that session); elsewhere the page asks for her password.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Discreet email: no site name or service description in the subject.
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_PREVENT_ENUMERATION = True
# Login throttling: allauth's rate limits (5 failures per email per 5 minutes).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}
# Its per-address limits read the address from infra.client_address.
ACCOUNT_ADAPTER = "accounts.adapter.VillageAccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Village"

# --- Email ----------------------------------------------------------------

# A neutral sender: someone else may read the inbox (SAFEGUARDING.md).
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Notifications <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if "EMAIL_URL" in env:
    globals().update(env.email_url("EMAIL_URL"))
elif PRODUCTION:
    raise ImproperlyConfigured("Production needs EMAIL_URL (smtp+tls://user:pass@host:587).")
elif "VILLAGE_EMAIL_FILE_PATH" in env:
    # Browser tests read the verification link from here.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("VILLAGE_EMAIL_FILE_PATH")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Internationalisation and static files --------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
if DEMO:
    # whitenoise serves from the finders in the demo; it still expects the folder.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security -------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Health probes come from inside the deployment over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/"]
    # The TLS-terminating proxy in front of daphne sets this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Reverse proxies in front of daphne (docker-compose ships one: Caddy). 0, the
# default, counts each request by its socket peer and ignores X-Forwarded-For;
# see infra.client_address. daphne runs without --proxy-headers.
VILLAGE_TRUSTED_PROXIES = env.int("VILLAGE_TRUSTED_PROXIES", default=0)

# --- Village --------------------------------------------------------------

# The demo coordinator alone may use staff pages without MFA, only in demo.
VILLAGE_DEMO_COORDINATOR_EMAIL = "coordinator@example.org"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # What procrastinate says at every start-up of every command (each
        # task it is given) and at every message (its job deferred); its
        # worker's own lines stay.
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
        "procrastinate.jobs": {"level": "WARNING"},
    },
}

# Where "Quick exit" goes: an everyday page that draws no attention.
VILLAGE_QUICK_EXIT_URL = env.str("VILLAGE_QUICK_EXIT_URL", default="https://www.bbc.co.uk/weather")

# --- Chat ---------------------------------------------------------------------

VILLAGE_MESSAGE_MAX_LENGTH = 2000
# The trained risk model beside the rules (moderation/risk_model.py): "e5" (the
# shipped heads over multilingual-e5-small, in-process, nothing downloaded),
# "off", or "scripted:<file>" (the tests' model).
VILLAGE_RISK_MODEL = env.str("VILLAGE_RISK_MODEL", default="e5")
# Screening in two stages (issue 17): the rules in the send transaction, the
# model after it on the task engine, and a group sees a message only once the
# model has cleared it or its deadline has passed. 1: both in the send
# transaction (no worker needed; the send waits for the model).
VILLAGE_SCREENING_STAGES = env.int("VILLAGE_SCREENING_STAGES", default=2)
# Seconds a message may wait for the model before it is published on the
# rules' verdict alone (and scored later).
VILLAGE_SCREENING_DEADLINE_SECONDS = env.float("VILLAGE_SCREENING_DEADLINE_SECONDS", default=2.0)
# How often the periodic work looks for messages past their deadline.
VILLAGE_SCREENING_SWEEP_SECONDS = env.float("VILLAGE_SCREENING_SWEEP_SECONDS", default=0.5)
# The task engine (infra.tasks, docs/operations.md "Workers"):
# - "thread": stage 2 on a thread of the process that sent the message. The
#   embedded default (`make run`, SQLite) and the tests; nothing to run beside.
# - "procrastinate": jobs are rows in PostgreSQL written in the sending
#   transaction, run by `manage.py procrastinate worker` processes (the
#   `worker` service, scaled by count), which also run the periodic jobs with
#   failover. Production (docker-compose.yml); needs PostgreSQL.
# - "off": no job runs (workers down, or an operator's switch); the deadline
#   still publishes every message, unscreened.
VILLAGE_TASKS = env.str("VILLAGE_TASKS", default="thread")
if VILLAGE_TASKS not in ("thread", "procrastinate", "off"):
    raise ImproperlyConfigured(
        f'VILLAGE_TASKS must be "thread", "procrastinate" or "off", not {VILLAGE_TASKS!r}.'
    )
if _db["ENGINE"] == "django.db.backends.postgresql":
    # On PostgreSQL whatever the engine, so that switching VILLAGE_TASKS needs
    # no migration and the tests can switch it (its migrations are PL/pgSQL:
    # never on SQLite). Last, after the apps whose `tasks` modules it imports.
    INSTALLED_APPS.append("procrastinate.contrib.django")
elif VILLAGE_TASKS == "procrastinate":
    raise ImproperlyConfigured('VILLAGE_TASKS="procrastinate" needs PostgreSQL (DATABASE_URL).')
# Every registered job becomes a procrastinate task of the same name.
PROCRASTINATE_ON_APP_READY = "infra.tasks.bind_procrastinate"
# A finished job leaves the queue; a failed one stays, for an operator to see.
# A job waits for a worker's poll unless LISTEN/NOTIFY wakes it first; stage 2
# has a 2 s deadline, so a worker looks at least every half second (a cheap
# indexed query) rather than procrastinate's 5 s.
PROCRASTINATE_WORKER_DEFAULTS = {"delete_jobs": "successful", "fetch_job_polling_interval": 0.5}
# Per-person send limit: this many new messages in this many seconds.
VILLAGE_SEND_RATE_COUNT = env.int("VILLAGE_SEND_RATE_COUNT", default=5)
VILLAGE_SEND_RATE_SECONDS = env.int("VILLAGE_SEND_RATE_SECONDS", default=5)
VILLAGE_MAX_ACTIVE_PAIRINGS = env.int("VILLAGE_MAX_ACTIVE_PAIRINGS", default=3)
VILLAGE_OFF_SCHEDULE_SESSION_MINUTES = env.int("VILLAGE_OFF_SCHEDULE_SESSION_MINUTES", default=120)
# Seconds a channel-layer call may take after a commit before it is given up.
VILLAGE_LAYER_TIMEOUT = env.float("VILLAGE_LAYER_TIMEOUT", default=2.0)
# Threads for database work from sockets (each holds a database connection).
VILLAGE_DB_THREADS = env.int("VILLAGE_DB_THREADS", default=8)
# Socket handshakes a process works on at once, and how many more may wait
# their turn before the next is refused (infra.handshakes).
VILLAGE_HANDSHAKES_AT_ONCE = env.int("VILLAGE_HANDSHAKES_AT_ONCE", default=16)
VILLAGE_HANDSHAKES_IN_LINE = env.int("VILLAGE_HANDSHAKES_IN_LINE", default=2000)
# Seconds a socket's database call may take before the client gets `unavailable`.
VILLAGE_DB_CALL_TIMEOUT = env.float("VILLAGE_DB_CALL_TIMEOUT", default=4.0)
# Largest WebSocket text frame accepted; larger ones close the socket with 1009.
VILLAGE_WS_MAX_FRAME_BYTES = env.int("VILLAGE_WS_MAX_FRAME_BYTES", default=16384)
# The periodic jobs run in the web process only on the one-process demo.
VILLAGE_PERIODIC_IN_WEB = env.bool("VILLAGE_PERIODIC_IN_WEB", default=not REDIS_URL)
VILLAGE_PERIODIC_INTERVAL_SECONDS = env.int("VILLAGE_PERIODIC_INTERVAL_SECONDS", default=20)
# The address people use to reach Village (links in emails).
VILLAGE_SITE_URL = env.str("VILLAGE_SITE_URL", default="http://127.0.0.1:8000")
# A person's live sockets across tabs and devices; more are refused.
VILLAGE_MAX_SOCKETS_PER_PERSON = env.int("VILLAGE_MAX_SOCKETS_PER_PERSON", default=10)

# Each concern alerts the coordinators (a RED one emails every one of them), so one
# person may raise this many an hour; past it she is asked to phone instead.
VILLAGE_CONCERNS_PER_PERSON_PER_HOUR = env.int("VILLAGE_CONCERNS_PER_PERSON_PER_HOUR", default=5)

# --- Intake and volunteers ---------------------------------------------------

# Referrals accepted from one address in an hour (the public form's spam limit).
# Generous: a whole NHS trust's staff may reach the internet from one address.
VILLAGE_REFERRALS_PER_ADDRESS_PER_HOUR = env.int(
    "VILLAGE_REFERRALS_PER_ADDRESS_PER_HOUR", default=20
)
# Self-referrals answering "yes" on the safety screen (each pages every coordinator)
# that one address may send in 24 hours; beyond it she sees the crisis steps only.
VILLAGE_URGENT_SELF_REFERRALS_PER_ADDRESS_PER_DAY = env.int(
    "VILLAGE_URGENT_SELF_REFERRALS_PER_ADDRESS_PER_DAY", default=3
)
# Days a referral's sign-up link stays usable.
VILLAGE_REFERRAL_INVITATION_DAYS = env.int("VILLAGE_REFERRAL_INVITATION_DAYS", default=28)
# A short code on each referral's sign-up link, which the coordinator (or the
# referrer) tells her by phone: someone who reads her email then cannot follow
# her link alone. Off by default; turn it on before accepting referrals.
VILLAGE_REFERRAL_JOIN_CODES = env.bool("VILLAGE_REFERRAL_JOIN_CODES", default=False)
# Wrong codes before her link is locked (and the coordinators are told).
VILLAGE_REFERRAL_JOIN_CODE_ATTEMPTS = env.int("VILLAGE_REFERRAL_JOIN_CODE_ATTEMPTS", default=5)
# A referral that never led to an account (declined, or its invitation never
# used) is anonymised this many days after it closed, unless a flag about it is
# open (intake.retention, run by the periodic daily work). 365: twelve months.
VILLAGE_REFERRAL_RETENTION_DAYS = env.int("VILLAGE_REFERRAL_RETENTION_DAYS", default=365)
# Coordinators are reminded this many days before a volunteer's DBS check expires.
VILLAGE_DBS_REMINDER_DAYS = env.int("VILLAGE_DBS_REMINDER_DAYS", default=30)
# A volunteer is due supervision this many days after her last one.
VILLAGE_SUPERVISION_INTERVAL_DAYS = env.int("VILLAGE_SUPERVISION_INTERVAL_DAYS", default=42)
# A new 1:1 pairing's planned ending, in weeks from the day it is made (editable).
VILLAGE_PAIRING_WEEKS = env.int("VILLAGE_PAIRING_WEEKS", default=12)
# Days after a RED flag in her room that a volunteer is offered a debrief.
VILLAGE_DEBRIEF_OFFER_DAYS = env.int("VILLAGE_DEBRIEF_OFFER_DAYS", default=7)
# The service's phone number, shown where a page cannot help online (empty: not shown).
VILLAGE_SERVICE_PHONE = env.str("VILLAGE_SERVICE_PHONE", default="")
# Days "Not now" puts off a questionnaire or the feedback survey.
VILLAGE_OUTCOME_POSTPONE_DAYS = env.int("VILLAGE_OUTCOME_POSTPONE_DAYS", default=3)
# Minutes between runs of the periodic jobs that work on the scale of days
# (volunteer reminders, planning questionnaires); the others run every tick.
VILLAGE_DAILY_WORK_MINUTES = env.int("VILLAGE_DAILY_WORK_MINUTES", default=10)
