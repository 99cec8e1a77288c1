"""WSGI entry point (management tooling only: Village serves over ASGI)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "village.settings")
application = get_wsgi_application()
