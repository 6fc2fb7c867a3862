"""starlette_app: the shared contract (see test_asgi_frameworks.py) as a Starlette app.

Its middleware is a pure ASGI one (it wraps `send`), where FastAPI's is
Starlette's BaseHTTPMiddleware: between them the two usual kinds are served.
Run: `uvicorn starlette_app:app` from this folder.
"""

import contextlib
import hashlib
import json

import shared
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
)
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

NAME = "starlette"
tasks = shared.TaskLog()


class TagMiddleware:
    """Adds the middleware header to the start of every HTTP response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged_send(message):
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[shared.MIDDLEWARE_HEADER] = NAME
            await send(message)

        await self.app(scope, receive, tagged_send)


async def app_error(request, exc):
    return JSONResponse(exc.payload(), status_code=exc.status)


def bad_request(reason):
    return JSONResponse({"error": reason}, status_code=400)


async def hello(request):
    return PlainTextResponse("Hello, world")


async def item(request):
    return JSONResponse({"item_id": request.path_params["item_id"],
                         "q": request.query_params.get("q")})


async def greet(request):
    return JSONResponse({"name": request.path_params["name"]})


async def search(request):
    limit = request.query_params.get("limit", "10")
    if not limit.isdigit():
        return bad_request("limit must be a whole number")
    return JSONResponse({"tags": request.query_params.getlist("tag"), "limit": int(limit)})


async def whoami(request):
    return JSONResponse({
        "method": request.method,
        "scheme": request.url.scheme,
        "path": request.url.path,
        "root_path": request.scope.get("root_path", ""),
        "query": request.url.query,
        "client": request.client.host if request.client else None,
        "header": request.headers.get("x-custom"),
    })


async def order(request):
    try:
        body = await request.json()
    except json.JSONDecodeError:
        return bad_request("body is not JSON")
    if not (isinstance(body, dict) and isinstance(body.get("name"), str)
            and isinstance(body.get("count"), int)):
        return bad_request("expected {name: string, count: integer}")
    return JSONResponse({"name": body["name"], "double": body["count"] * 2})


async def form(request):
    async with request.form() as fields:
        if "name" not in fields:
            return bad_request("field name is missing")
        return JSONResponse({"name": fields["name"], "color": fields.get("color", "none")})


async def upload(request):
    async with request.form() as fields:
        file = fields.get("file")
        if "name" not in fields or isinstance(file, str) or file is None:
            return bad_request("expected the fields name and file")
        data = await file.read()
        return JSONResponse({"name": fields["name"], "filename": file.filename,
                             "content_type": file.content_type, "size": len(data),
                             "sha256": hashlib.sha256(data).hexdigest()})


async def set_cookie(request):
    flavor = request.query_params.get("flavor")
    if flavor is None:
        return bad_request("query parameter flavor is missing")
    response = JSONResponse({"set": flavor})
    response.set_cookie("flavor", flavor, httponly=True)
    return response


async def read_cookie(request):
    return JSONResponse({"flavor": request.cookies.get("flavor")})


async def teapot(request):
    raise shared.AppError("short and stout")


async def unhandled(request):
    raise shared.UnhandledError("nobody handles this")


async def queue_task(request):
    name = request.path_params["name"]
    return JSONResponse({"queued": name}, status_code=202,
                        background=BackgroundTask(tasks.record, name))


async def task_done(request):
    name = request.path_params["name"]
    if await tasks.wait(name):
        return JSONResponse({"done": name})
    return JSONResponse({"done": None}, status_code=404)


async def stream(request):
    return StreamingResponse(shared.stream_chunks(), media_type="text/plain")


async def sse_events():
    for data in shared.SSE_EVENTS:
        yield f"event: tick\ndata: {data}\n\n"


async def sse(request):
    return StreamingResponse(sse_events(), media_type="text/event-stream",
                             headers={"cache-control": "no-cache"})


async def file(request):
    return FileResponse(shared.sample_file(), filename="sample.bin")


async def state(request):
    return JSONResponse({"greeting": request.state.greeting})


async def upload_size(request):
    digest = shared.Digest()
    async for piece in request.stream():
        digest.update(piece)
    return JSONResponse(digest.result(), headers={shared.PIECES_HEADER: str(digest.pieces)})


async def redirect(request):
    return RedirectResponse("/hello")


async def chat(websocket: WebSocket):
    """WS /ws/{room}?user=: the agreed subprotocol, then each text back as room/user: text;
    "bye" closes with 4000 (shared.WS_*)."""
    offered = websocket.scope["subprotocols"]
    await websocket.accept(subprotocol=shared.WS_SUBPROTOCOL
                           if shared.WS_SUBPROTOCOL in offered else None)
    room, user = websocket.path_params["room"], websocket.query_params.get("user", "?")
    try:
        while (text := await websocket.receive_text()) != shared.WS_BYE:
            await websocket.send_text(shared.ws_reply(room, user, text))
    except WebSocketDisconnect:
        return
    await websocket.close(*shared.WS_CLOSE)


@contextlib.asynccontextmanager
async def lifespan(app):
    yield {"greeting": shared.GREETING}


app = Starlette(
    routes=[
        Route("/hello", hello),
        Route("/items/{item_id:int}", item),
        Route("/greet/{name}", greet),
        Route("/search", search),
        Route("/whoami", whoami),
        Route("/json", order, methods=["POST"]),
        Route("/form", form, methods=["POST"]),
        Route("/upload", upload, methods=["POST"]),
        Route("/cookies/set", set_cookie),
        Route("/cookies/read", read_cookie),
        Route("/error/teapot", teapot),
        Route("/error/unhandled", unhandled),
        Route("/tasks/{name}", queue_task, methods=["POST"]),
        Route("/tasks/{name}", task_done),
        Route("/stream", stream),
        Route("/sse", sse),
        Route("/file", file),
        Route("/state", state),
        Route("/upload/size", upload_size, methods=["POST"]),
        Route("/redirect", redirect),
        WebSocketRoute("/ws/{room}", chat),
    ],
    middleware=[Middleware(TagMiddleware)],
    exception_handlers={shared.AppError: app_error},
    lifespan=lifespan,
)
