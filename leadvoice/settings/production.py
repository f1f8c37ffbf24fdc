"""Production mode: no debug, no default secrets, HTTPS everywhere.

Fails at import when a required variable is missing, so a misconfigured deployment never boots.
`DJANGO_SETTINGS_MODULE=leadvoice.settings.production manage.py check --deploy` reports nothing.
"""

from .base import *  # noqa: F403
from .base import env

# base.py read these with development defaults; here they must be given explicitly.
for _required in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"):
    env(_required)  # raises ImproperlyConfigured naming the missing variable

DEBUG = False
ENVIRONMENT = env("LEADVOICE_ENVIRONMENT", default="production")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Probes come from the orchestrator over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health(/|$)"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}  # noqa: F405
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]  # noqa: F405
