"""Test mode: only what tests must change. The database, Redis, channel layer and Celery stay real."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; production uses Argon2
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"auth": "1000/min"}  # noqa: F405 - throttles get their own tests
TWILIO_AUTH_TOKEN = "test-twilio-auth-token"  # noqa: S105 - signs the fake callbacks of the tests
LOG_LEVEL = "WARNING"
LOGGING["root"]["level"] = LOG_LEVEL  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = "lv-test"  # noqa: F405

STATIC_ROOT = None  # files come from the finders; nothing is collected in tests
WHITENOISE_USE_FINDERS = True
LIST_SEARCH_PROBE_MS = 0  # a loaded CI machine must not change which plan a search test takes
CLOCK_OVERRIDE_ALLOWED = True  # apps.core.clock: tests move the dialer's clock (a simulated day)
