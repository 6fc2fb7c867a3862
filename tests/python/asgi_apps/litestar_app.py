"""litestar_app: the shared contract (see test_asgi_frameworks.py) as a Litestar app.

Litestar keeps lifespan state on the app (`app.state`), not in the ASGI
scope's `state`; its middleware wraps route handlers, so the 404 and 405 it
answers before routing carry no middleware header; its POST routes default
to 201, set here to the contract's 200.
Run: `uvicorn litestar_app:app` from this folder.
"""

import contextlib
import hashlib
from dataclasses import dataclass
from typing import Annotated

import shared
from litestar import Litestar, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import Cookie, State, UploadFile
from litestar.enums import MediaType, RequestEncodingType
from litestar.middleware import ASGIMiddleware
from litestar.params import Body
from litestar.response import File, Redirect, ServerSentEvent, Stream

NAME = "litestar"
tasks = shared.TaskLog()


class TagMiddleware(ASGIMiddleware):
    """Adds the middleware header to the start of every response of a route."""

    async def handle(self, scope, receive, send, next_app):
        async def tagged_send(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []),
                                      (shared.MIDDLEWARE_HEADER.encode(), NAME.encode())]
            await send(message)

        await next_app(scope, receive, tagged_send)


def app_error(request: Request, exc: shared.AppError) -> Response:
    return Response(exc.payload(), status_code=exc.status)


@dataclass
class Order:
    name: str
    count: int


@dataclass
class Fields:
    name: str
    color: str = "none"


@dataclass
class Upload:
    name: str
    file: UploadFile


@get("/hello", media_type=MediaType.TEXT)
async def hello() -> str:
    return "Hello, world"


@get("/items/{item_id:int}")
async def item(item_id: int, q: str | None = None) -> dict:
    return {"item_id": item_id, "q": q}


@get("/greet/{name:str}")
async def greet(name: str) -> dict:
    return {"name": name}


@get("/search")
async def search(tag: list[str] | None = None, limit: int = 10) -> dict:
    return {"tags": tag or [], "limit": limit}


@get("/whoami")
async def whoami(request: Request) -> dict:
    return {
        "method": request.method,
        "scheme": request.url.scheme,
        "path": request.url.path,
        "root_path": request.scope.get("root_path", ""),
        "query": request.url.query,
        "client": request.client.host if request.client else None,
        "header": request.headers.get("x-custom"),
    }


@post("/json", status_code=200)
async def order(data: Order) -> dict:
    return {"name": data.name, "double": data.count * 2}


@post("/form", status_code=200)
async def form(data: Annotated[Fields, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> dict:
    return {"name": data.name, "color": data.color}


@post("/upload", status_code=200)
async def upload(data: Annotated[Upload, Body(media_type=RequestEncodingType.MULTI_PART)]) -> dict:
    content = await data.file.read()
    return {"name": data.name, "filename": data.file.filename,
            "content_type": data.file.content_type, "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest()}


@get("/cookies/set")
async def set_cookie(flavor: str) -> Response:
    return Response({"set": flavor}, cookies=[Cookie(key="flavor", value=flavor, httponly=True)])


@get("/cookies/read")
async def read_cookie(request: Request) -> dict:
    return {"flavor": request.cookies.get("flavor")}


@get("/error/teapot")
async def teapot() -> None:
    raise shared.AppError("short and stout")


@get("/error/unhandled")
async def unhandled() -> None:
    raise shared.UnhandledError("nobody handles this")


@post("/tasks/{name:str}", status_code=202)
async def queue_task(name: str) -> Response:
    return Response({"queued": name}, status_code=202,
                    background=BackgroundTask(tasks.record, name))


@get("/tasks/{name:str}")
async def task_done(name: str) -> Response:
    if await tasks.wait(name):
        return Response({"done": name})
    return Response({"done": None}, status_code=404)


@get("/stream")
async def stream() -> Stream:
    return Stream(shared.stream_chunks(), media_type=MediaType.TEXT)


async def sse_data():
    for data in shared.SSE_EVENTS:
        yield data


@get("/sse")
async def sse() -> ServerSentEvent:
    return ServerSentEvent(sse_data(), event_type="tick")


@get("/file")
async def file() -> File:
    return File(shared.sample_file(), filename="sample.bin")


@get("/state")
async def state(state: State) -> dict:
    return {"greeting": state.greeting}


# No body limit here (Litestar's default is 10 MB): this route is for large uploads.
@post("/upload/size", status_code=200, request_max_body_size=None)
async def upload_size(request: Request) -> Response:
    digest = shared.Digest()
    async for piece in request.stream():
        digest.update(piece)
    return Response(digest.result(), headers={shared.PIECES_HEADER: str(digest.pieces)})


@get("/redirect")
async def redirect() -> Redirect:
    return Redirect(path="/hello")


@contextlib.asynccontextmanager
async def lifespan(app: Litestar):
    app.state.greeting = shared.GREETING
    yield


app = Litestar(
    route_handlers=[hello, item, greet, search, whoami, order, form, upload, set_cookie, read_cookie,
                    teapot, unhandled, queue_task, task_done, stream, sse, file, state, upload_size,
                    redirect],
    middleware=[TagMiddleware()],
    exception_handlers={shared.AppError: app_error},
    lifespan=[lifespan],
)
