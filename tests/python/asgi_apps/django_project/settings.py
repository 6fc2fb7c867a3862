"""settings: the smallest settings that serve the project: no database, no installed apps, no CSRF.

The views take no session or user, so nothing needs a database; CSRF is left
out because the test's clients post forms without a token, as API clients do.
"""

SECRET_KEY = "only-for-tests-not-secret"
DEBUG = False  # the answers a deployment gives: plain 404 and 500 pages, no traceback pages
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
ROOT_URLCONF = "django_project.urls"
MIDDLEWARE = ["django_project.middleware.TagMiddleware"]
INSTALLED_APPS = []
DATABASES = {}
USE_TZ = True
