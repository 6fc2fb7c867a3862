"""Bench app: Starlette, `Hello world!` as plain text at /.

Served as bench.apps.starlette_hello:app by Lesto, granian and uvicorn alike
(bench/asgi.py).
"""

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(request):
    return PlainTextResponse('Hello world!')


app = Starlette(routes=[Route('/', hello)])
