"""django_project: the shared contract (see test_asgi_frameworks.py) as a Django project of async views."""
