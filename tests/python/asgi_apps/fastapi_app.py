"""fastapi_app: the shared contract (see test_asgi_frameworks.py) as a FastAPI app, in FastAPI's idiom.

Run: `uvicorn fastapi_app:app` or `python -m lesto fastapi_app:app --interface asgi` from this folder.
"""

import contextlib
import hashlib
from typing import Annotated

import shared
from fastapi import (
    BackgroundTasks,
    FastAPI,
    File,
    Form,
    Query,
    Request,
    Response,
    UploadFile,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    StreamingResponse,
)
from pydantic import BaseModel

NAME = "fastapi"
tasks = shared.TaskLog()


@contextlib.asynccontextmanager
async def lifespan(app):
    yield {"greeting": shared.GREETING}  # the lifespan state: copied into each request's state


app = FastAPI(lifespan=lifespan)


@app.middleware("http")
async def tag_response(request: Request, call_next):
    response = await call_next(request)
    response.headers[shared.MIDDLEWARE_HEADER] = NAME
    return response


@app.exception_handler(shared.AppError)
async def app_error(request: Request, exc: shared.AppError):
    return JSONResponse(exc.payload(), status_code=exc.status)


class Order(BaseModel):
    name: str
    count: int


@app.get("/hello", response_class=PlainTextResponse)
async def hello():
    return "Hello, world"


@app.get("/items/{item_id}")
async def item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.get("/greet/{name}")
async def greet(name: str):
    return {"name": name}


@app.get("/search")
async def search(tag: Annotated[list[str] | None, Query()] = None, limit: int = 10):
    return {"tags": tag or [], "limit": limit}


@app.get("/whoami")
async def whoami(request: Request):
    return {
        "method": request.method,
        "scheme": request.url.scheme,
        "path": request.url.path,
        "root_path": request.scope.get("root_path", ""),
        "query": request.url.query,
        "client": request.client.host if request.client else None,
        "header": request.headers.get("x-custom"),
    }


@app.post("/json")
async def order(body: Order):
    return {"name": body.name, "double": body.count * 2}


@app.post("/form")
async def form(name: Annotated[str, Form()], color: Annotated[str, Form()] = "none"):
    return {"name": name, "color": color}


@app.post("/upload")
async def upload(name: Annotated[str, Form()], file: Annotated[UploadFile, File()]):
    data = await file.read()
    return {"name": name, "filename": file.filename, "content_type": file.content_type,
            "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@app.get("/cookies/set")
async def set_cookie(flavor: str, response: Response):
    response.set_cookie("flavor", flavor, httponly=True)
    return {"set": flavor}


@app.get("/cookies/read")
async def read_cookie(request: Request):
    return {"flavor": request.cookies.get("flavor")}


@app.get("/error/teapot")
async def teapot():
    raise shared.AppError("short and stout")


@app.get("/error/unhandled")
async def unhandled():
    raise shared.UnhandledError("nobody handles this")


@app.post("/tasks/{name}", status_code=202)
async def queue_task(name: str, background: BackgroundTasks):
    background.add_task(tasks.record, name)
    return {"queued": name}


@app.get("/tasks/{name}")
async def task_done(name: str):
    if await tasks.wait(name):
        return {"done": name}
    return JSONResponse({"done": None}, status_code=404)


@app.get("/stream")
async def stream():
    return StreamingResponse(shared.stream_chunks(), media_type="text/plain")


async def sse_events():
    for data in shared.SSE_EVENTS:
        yield f"event: tick\ndata: {data}\n\n"


@app.get("/sse")
async def sse():
    return StreamingResponse(sse_events(), media_type="text/event-stream",
                             headers={"cache-control": "no-cache"})


@app.get("/file")
async def file():
    return FileResponse(shared.sample_file(), filename="sample.bin")


@app.get("/state")
async def state(request: Request):
    return {"greeting": request.state.greeting}


@app.post("/upload/size")
async def upload_size(request: Request):
    digest = shared.Digest()
    async for piece in request.stream():
        digest.update(piece)
    return JSONResponse(digest.result(), headers={shared.PIECES_HEADER: str(digest.pieces)})


@app.get("/redirect")
async def redirect():
    return RedirectResponse("/hello")


@app.websocket("/ws/{room}")
async def chat(websocket: WebSocket, room: str, user: str = "?"):
    """WS /ws/{room}?user=: the agreed subprotocol, then each text back as room/user: text;
    "bye" closes with 4000 (shared.WS_*)."""
    offered = websocket.scope["subprotocols"]
    await websocket.accept(subprotocol=shared.WS_SUBPROTOCOL
                           if shared.WS_SUBPROTOCOL in offered else None)
    try:
        while (text := await websocket.receive_text()) != shared.WS_BYE:
            await websocket.send_text(shared.ws_reply(room, user, text))
    except WebSocketDisconnect:
        return
    await websocket.close(*shared.WS_CLOSE)
