"""LeadVoice project package: settings, URLs, ASGI/WSGI entry points and the Celery app.

The Celery app (leadvoice.celery) is loaded by apps.core when Django starts, so every Django
process sends tasks through it; importing this package alone stays free of side effects.
"""

__version__ = "0.1.0"
