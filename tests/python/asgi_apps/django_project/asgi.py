"""asgi: the project's ASGI application. Run: `uvicorn django_project.asgi:application` from asgi_apps/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")

application = get_asgi_application()
