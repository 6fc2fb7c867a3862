"""ops_reload_handlers: the handler the reload tests rewrite (see ops_reload_app.py)."""

import os


def hello(request):
    return request.Response(text=f"version 1 {os.getpid()}")
