"""Settings shared by every mode. Everything comes from the environment (django-environ) with safe
defaults; production.py removes the defaults that must never reach production."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

from leadvoice import __version__

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

# Core -------------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-0123456789-abcdefghijklmnop")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
ENVIRONMENT = env("LEADVOICE_ENVIRONMENT", default="development")
VERSION = __version__
# Public address Twilio and browsers use to reach this deployment (webhook URLs are built on it).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "channels",
    "apps.core",
    "apps.tenants",
    "apps.campaigns",
    "apps.agents",
    "apps.leads",
    "apps.calls",
    "apps.realtime",
    "apps.voice",
    "apps.scoring",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "leadvoice.urls"
WSGI_APPLICATION = "leadvoice.wsgi.application"
ASGI_APPLICATION = "leadvoice.asgi.application"

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
            ],
        },
    },
]


# Data stores ------------------------------------------------------------------------------------
# `make run` / `make test` set DATABASE_URL and REDIS_URL to their embedded servers; the defaults
# only serve tooling such as `makemigrations`, which works without a reachable database.
def database_config(config: dict) -> dict:
    """Finish a django-environ database dict: Unix-socket URLs, timeouts, connection reuse."""
    if not config.get("HOST") and "host" in config.get("OPTIONS", {}):
        # postgresql://user@/db?host=/path, the form the embedded server gives
        config["HOST"] = config["OPTIONS"].pop("host")
    options = config.setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    if env.bool("DATABASE_POOL", default=False):
        # psycopg's pool (Django 5.1+): a new PostgreSQL connection costs a process fork, several
        # milliseconds per request otherwise. Pooled connections are not also persistent.
        options["pool"] = {"min_size": env.int("DATABASE_POOL_MIN", default=2),
                           "max_size": env.int("DATABASE_POOL_MAX", default=10), "timeout": 10}  # fmt: skip
        config["CONN_MAX_AGE"] = 0
    else:
        config["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_config(env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/leadvoice"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "apps.core.cache.SharedPoolRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "lv",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    },
    # Per-process, for what may differ between processes for a few seconds (list estimates).
    "local": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "leadvoice-local",
        "OPTIONS": {"MAX_ENTRIES": 2048},
    },
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # socket_timeout None: the layer's receive blocks in BZPOPMIN for up to 5 s, and redis-py 8's
        # default 5 s read timeout tore every idle socket down (django/channels_redis#422).
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}], "prefix": "lv-asgi"},
    }
}

# Auth -------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "tenants.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"

# REST API ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.tenants.authentication.TenantJWTAuthentication",
        "apps.tenants.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.tenants.permissions.ApiKeyScopePermission",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.StandardPagination",
    "PAGE_SIZE": 10,
    "DEFAULT_FILTER_BACKENDS": [
        "apps.core.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["apps.core.renderers.FastJSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {"auth": env("THROTTLE_AUTH_RATE", default="20/min")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # ?format= belongs to the endpoints (exports: csv or xlsx), not to DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=60)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "LeadVoice API",
    "DESCRIPTION": (
        "Outbound calling platform: leads, campaigns, agents, calls, analytics. "
        "Authenticate with `Authorization: Bearer <access_token>` from /api/v1/auth/login/ or with `X-API-Key`. "
        "Errors are `{detail, code, request_id}` (+ `errors[]` for validation)."
    ),
    "VERSION": __version__,
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "LeadStatusEnum": "apps.leads.choices.LeadStatus",
        "ImportStatusEnum": "apps.leads.models.ImportStatus",
        "TenantStatusEnum": "apps.tenants.choices.TenantStatus",
        # low/medium/high: a lead's interest level and a campaign's priority share one enum
        "LevelEnum": "apps.leads.choices.InterestLevel",
        "CampaignStatusEnum": "apps.campaigns.models.CampaignStatus",
        "PresenceEnum": "apps.agents.models.Presence",
        # Two "mode" fields: an import's (partial/atomic) and a supervisor's (listen/whisper/barge)
        "ImportModeEnum": "apps.leads.models.ImportMode",
        "MonitorModeEnum": "apps.calls.telephony.base.MONITOR_MODES",
    },
}

# Celery -----------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Longer than any countdown we use, so a delayed task is never redelivered early (Redis transport).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200)}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "core-heartbeat": {"task": "apps.core.tasks.heartbeat", "schedule": 15.0},
    # Scheduled campaigns start and complete at their schedule edges (within this many seconds).
    "campaigns-advance-schedules": {
        "task": "apps.campaigns.tasks.advance_schedules",
        "schedule": env.float("CAMPAIGN_SCHEDULE_TICK_SECONDS", default=30.0),
    },
    # New leads' search-index entries wait in a pending list until merged (apps.leads.search_index).
    "leads-search-index-merge": {"task": "apps.leads.tasks.search_index_merge", "schedule": 60.0},
    # The dialer (apps.calls): claim due leads and place their calls; sweep what was lost; apply
    # callbacks the webhooks' wake-ups missed.
    "calls-dialer-tick": {
        "task": "apps.calls.tasks.dialer_tick",
        "schedule": env.float("DIALER_TICK_SECONDS", default=5.0),
    },
    "calls-reap": {"task": "apps.calls.tasks.reap", "schedule": 30.0},
    "calls-drain-events": {"task": "apps.calls.tasks.drain_events", "schedule": 10.0},
    # Lead scoring (apps.scoring): every tenant with enough outcomes gets its model retrained weekly.
    "scoring-retrain-weekly": {
        "task": "apps.scoring.tasks.training_schedule",
        "schedule": crontab(minute=0, hour=3, day_of_week="sunday"),
    },
}

# Internationalisation ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files (served by WhiteNoise from the ASGI app) ------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / ".data" / "media")
MEDIA_URL = "/media/"

# Security headers that hold in every mode (production.py adds the HTTPS ones) -------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Logging: one line per record, JSON by default, always with the request id ----------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "apps.core.logging.RequestContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(tenant_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
    },
}

# Leads --------------------------------------------------------------------------------------------
LEAD_IMPORT_SYNC_MAX_BYTES = env.int("LEAD_IMPORT_SYNC_MAX_BYTES", default=10 * 1024 * 1024)
LEAD_IMPORT_MAX_BYTES = env.int("LEAD_IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
LEAD_IMPORT_MAX_ROWS = env.int("LEAD_IMPORT_MAX_ROWS", default=2_000_000)
LEAD_IMPORT_BATCH_SIZE = env.int("LEAD_IMPORT_BATCH_SIZE", default=5000)
LEAD_IMPORT_WRITERS = env.int("LEAD_IMPORT_WRITERS", default=2)  # connections an import outside a transaction writes on
# A workbook is refused before it is opened when it would expand past this (zip bombs).
LEAD_IMPORT_XLSX_MAX_UNCOMPRESSED = env.int("LEAD_IMPORT_XLSX_MAX_UNCOMPRESSED", default=1024 * 1024 * 1024)
LEAD_IMPORT_XLSX_MAX_RATIO = env.int("LEAD_IMPORT_XLSX_MAX_RATIO", default=200)
# Lists count exactly up to this many rows, then report a flagged planner estimate (total_is_estimate).
LIST_EXACT_COUNT_LIMIT = env.int("LIST_EXACT_COUNT_LIMIT", default=2_000)
# How long a lead search may spend collecting its matches through the index before it treats the
# term as a common one (docs/api.md, "Search"); 0 means no limit.
LIST_SEARCH_PROBE_MS = env.int("LIST_SEARCH_PROBE_MS", default=10)
# Uploads bigger than Django's in-memory limit go to a temporary file, never into memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=12 * 1024 * 1024)
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True  # admin exports neutralise = + - @ like the API's
IMPORT_EXPORT_USE_TRANSACTIONS = True

# Dialer and telephony (apps.calls) -----------------------------------------------------------------
DIALER_TICK_SECONDS = env.float("DIALER_TICK_SECONDS", default=5.0)
# The lead's own local window; stricter than 08:00-21:00 is allowed, looser is clamped to it.
DIALER_LOCAL_START = env("DIALER_LOCAL_START", default="08:00")
DIALER_LOCAL_END = env("DIALER_LOCAL_END", default="21:00")
DIALER_MAX_CLAIM_PER_TICK = env.int("DIALER_MAX_CLAIM_PER_TICK", default=1000)  # per campaign
DIALER_STALE_QUEUED_SECONDS = env.int("DIALER_STALE_QUEUED_SECONDS", default=120)  # claimed, never originated
DIALER_STALE_LIVE_SECONDS = env.int("DIALER_STALE_LIVE_SECONDS", default=4 * 3600)  # no final callback
DIALER_ABANDON_SECONDS = env.float("DIALER_ABANDON_SECONDS", default=2.0)  # answered, no agent free in time
TELEPHONY_PROVIDER = env("TELEPHONY_PROVIDER", default="simulator")  # simulator | twilio
TELEPHONY_CALLS_PER_SECOND = env.float("TELEPHONY_CALLS_PER_SECOND", default=50.0)  # the provider account's CPS
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_API_BASE = env("TWILIO_API_BASE", default="")  # a local fake of Twilio's REST API (tests, demos)
# The agents' browser softphones (GET /api/v1/agents/{id}/voice-token/): an API key of the platform's
# Twilio account signs their Voice access tokens, and the TwiML app is where a softphone's own calls go.
TWILIO_API_KEY_SID = env("TWILIO_API_KEY_SID", default="")
TWILIO_API_KEY_SECRET = env("TWILIO_API_KEY_SECRET", default="")
TWILIO_TWIML_APP_SID = env("TWILIO_TWIML_APP_SID", default="")
# How long an agent's softphone rings for an answered lead before the next agent (or the abandon message).
DIALER_AGENT_RING_SECONDS = env.int("DIALER_AGENT_RING_SECONDS", default=20)
# PUBLIC_BASE_URL (above): the address Twilio (or the simulator) calls back, and what
# X-Twilio-Signature is computed over (set it behind a proxy).
# The simulator: a carrier inside the project. Odds of each outcome and timings (seconds).
# "answer=0.45,no_answer=0.2,...": answer, no_answer, busy, voicemail, failed, hangup (mid-call), silent
# (every callback lost).
SIMULATOR_ODDS = {
    key.strip(): float(value)
    for key, _, value in (
        part.partition("=")
        for part in env(
            "SIMULATOR_ODDS", default="answer=0.45,no_answer=0.2,busy=0.1,voicemail=0.15,failed=0.05,hangup=0.05"
        ).split(",")
        if "=" in part
    )
}
# A drain facing a backlog (a full page of pending callbacks) starts helpers, up to this many at once.
DRAIN_PARALLEL = env.int("DRAIN_PARALLEL", default=3)
SIMULATOR_RING_SECONDS = env.float("SIMULATOR_RING_SECONDS", default=4.0)
SIMULATOR_TALK_SECONDS = env.float("SIMULATOR_TALK_SECONDS", default=20.0)
SIMULATOR_SPEED = env.float("SIMULATOR_SPEED", default=1.0)  # >1 plays calls faster than real time
SIMULATOR_DUPLICATES = env.float("SIMULATOR_DUPLICATES", default=0.0)  # share of callbacks sent twice
SIMULATOR_REORDER = env.bool("SIMULATOR_REORDER", default=False)  # deliver callbacks out of order
SIMULATOR_AGENT_ANSWER_RATE = env.float("SIMULATOR_AGENT_ANSWER_RATE", default=1.0)  # simulated softphones answering
# Who answers the AI agent's calls (apps/calls/telephony/personas.py), with odds like SIMULATOR_ODDS:
# interested, objection_then_interested, not_interested, callback, do_not_call, silent (voicemail is the
# voicemail outcome of SIMULATOR_ODDS).
SIMULATOR_PERSONAS = {
    key.strip(): float(value)
    for key, _, value in (
        part.partition("=")
        for part in env(
            "SIMULATOR_PERSONAS",
            default="interested=0.3,objection_then_interested=0.2,not_interested=0.2,callback=0.15,do_not_call=0.05,"
            "silent=0.1",
        ).split(",")
        if "=" in part
    )
}

# Lead scoring (apps.scoring; docs/scoring.md) ------------------------------------------------------
# A lead scoring at least this (0-100) is a hot lead, unless its tenant's scoring policy says otherwise.
SCORING_HOT_LEAD_THRESHOLD = env.int("SCORING_HOT_LEAD_THRESHOLD", default=70)
# A tenant's model is trained once it has this many labelled leads, with at least
# SCORING_MIN_TRAINING_POSITIVES converted and as many not converted; until then, the rules score.
SCORING_MIN_TRAINING_LEADS = env.int("SCORING_MIN_TRAINING_LEADS", default=200)
SCORING_MIN_TRAINING_POSITIVES = env.int("SCORING_MIN_TRAINING_POSITIVES", default=20)
SCORING_TRAINING_MAX_LEADS = env.int("SCORING_TRAINING_MAX_LEADS", default=50_000)  # the newest, per training
SCORING_TRAINING_STALE_SECONDS = env.int("SCORING_TRAINING_STALE_SECONDS", default=3600)  # an open job is lost

# The AI voice agent (apps.voice; docs/voice.md) -----------------------------------------------------
# Which brain words the replies: scripted (offline, from the campaign's script), llm (an OpenAI-compatible
# chat-completions endpoint), or auto (llm when LLM_BASE_URL is set).
VOICE_BRAIN = env("VOICE_BRAIN", default="auto")
VOICE_MAX_TURNS = env.int("VOICE_MAX_TURNS", default=12)  # customer turns before a polite close
VOICE_MAX_SILENCES = env.int("VOICE_MAX_SILENCES", default=2)  # silent turns in a row that end the call
LLM_BASE_URL = env("LLM_BASE_URL", default="")  # e.g. http://127.0.0.1:11434/v1 (".../chat/completions" added)
LLM_MODEL = env("LLM_MODEL", default="")
LLM_API_KEY = env("LLM_API_KEY", default="")
LLM_STREAM = env.bool("LLM_STREAM", default=True)  # server-sent events
LLM_MAX_TOKENS = env.int("LLM_MAX_TOKENS", default=160)
LLM_TURN_BUDGET_SECONDS = env.float("LLM_TURN_BUDGET_SECONDS", default=3.0)  # then the scripted words
