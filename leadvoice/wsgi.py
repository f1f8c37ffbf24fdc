"""WSGI entry point (the ASGI app in asgi.py is what LeadVoice runs; this exists for tooling)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadvoice.settings.local")

application = get_wsgi_application()
