"""Development mode, what `make run` uses: readable logs, static files straight from the finders.

DEBUG stays off unless DJANGO_DEBUG=1, so the demo answers errors exactly as production does
(JSON error envelopes, no stack traces)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405
STATIC_ROOT = None  # served straight from the finders; production collects into staticfiles/
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = [  # noqa: F405
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ]
