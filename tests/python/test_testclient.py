"""lesto.testing: the httpx API, lifespan, exceptions, streaming both ways, raw bytes, async use.

Every test runs on uvloop and on the stdlib loop (LESTO_LOOP), for a Lesto
Application and, where the feature is the front-end's, an ASGI app too.
"""

import asyncio
import contextlib
import json
from http.cookies import SimpleCookie

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route

import lesto
from lesto import Application
from lesto.testing import AsyncTestClient, AsyncTransport, TestClient, Transport


@pytest.fixture(params=("uvloop", "asyncio"), autouse=True)
def loop_choice(request, monkeypatch):
    monkeypatch.setenv("LESTO_LOOP", request.param)
    return request.param


def run(coro):
    """Run an async test body on a loop of the kind chosen (as the async client's user would)."""
    loop = lesto.server.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


class Boom(Exception):
    pass


def make_app():
    app = Application()
    r = app.router

    def echo(request):
        return request.Response(json={
            "method": request.method, "path": request.path, "query": request.query_string,
            "headers": request.headers.raw(), "body": (request.body or b"").decode("latin-1"),
            "remote_addr": request.remote_addr, "cookies": request.cookies,
            "form": dict(request.form or {}),
            "files": {k: [f.name, f.body.decode()] for k, f in (request.files or {}).items()},
        })

    async def slow(request):
        await asyncio.sleep(0.01)
        return request.Response(text="slow")

    def set_cookies(request):
        cookies = SimpleCookie()
        cookies["session"] = "abc"
        cookies["theme"] = "dark"
        return request.Response(text="set", cookies=cookies)

    def boom(request):
        raise Boom("the handler failed")

    async def async_boom(request):
        await asyncio.sleep(0)
        raise Boom("the async handler failed")

    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"):
        r.add_route(f"/echo/{method.lower()}", echo, method=method)
    r.add_route("/echo", echo)
    r.add_route("/slow", slow)
    r.add_route("/cookies", set_cookies)
    r.add_route("/boom", boom)
    r.add_route("/async-boom", async_boom)
    return app


def make_starlette():
    state = {"started": 0, "stopped": 0}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        state["started"] += 1
        yield {"greeting": "hello from lifespan"}
        state["stopped"] += 1

    async def hello(request):
        return PlainTextResponse(request.state.greeting)

    async def echo(request):
        body = await request.body()
        return JSONResponse({"method": request.method, "body": body.decode(),
                             "query": dict(request.query_params),
                             "client": list(request.client)})

    async def boom(request):
        raise Boom("the ASGI app failed")

    async def pieces(request):
        async def gen():
            for i in range(3):
                yield f"piece {i}\n"
        return StreamingResponse(gen())

    app = Starlette(routes=[Route("/", hello), Route("/echo", echo, methods=["GET", "POST"]),
                            Route("/boom", boom), Route("/pieces", pieces)], lifespan=lifespan)
    return app, state


# ---- the httpx API ----------------------------------------------------------------


def test_params_headers_and_the_response_as_httpx_gives_it():
    with TestClient(make_app()) as client:
        response = client.get("/echo", params={"a": "1", "b": ["x y", "z"]},
                              headers={"X-Test": "yes"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.headers["CONTENT-TYPE"] == response.headers["content-type"]
        info = response.json()
        assert info["path"] == "/echo"
        assert info["query"] == "a=1&b=x+y&b=z"
        assert ["X-Test", "yes"] in info["headers"]
        assert ["Host", "testserver"] in info["headers"]
        assert info["remote_addr"] == "127.0.0.1"
        assert response.http_version == "HTTP/1.1"
        assert response.reason_phrase == "OK"
        assert response.url == "http://testserver/echo?a=1&b=x+y&b=z"


def test_every_method_reaches_its_route():
    with TestClient(make_app()) as client:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
            response = client.request(method, f"/echo/{method.lower()}")
            assert response.json()["method"] == method
        head = client.head("/echo/head")
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) > 0
        assert client.post("/echo/get").status_code == 405


def test_json_data_files_and_content_bodies():
    with TestClient(make_app()) as client:
        assert json.loads(client.post("/echo", json={"k": [1, 2]}).json()["body"]) == {"k": [1, 2]}
        assert client.post("/echo", data={"name": "Ana"}).json()["form"] == {"name": "Ana"}
        info = client.post("/echo", data={"name": "Ana"},
                           files={"up": ("a.txt", b"hello", "text/plain")}).json()
        assert info["form"] == {"name": "Ana"} and info["files"] == {"up": ["a.txt", "hello"]}
        assert client.put("/echo/put", content=b"\x00raw\xff").json()["body"] == "\x00raw\xff"


def test_multi_valued_response_headers_and_the_cookie_jar():
    with TestClient(make_app()) as client:
        response = client.get("/cookies")
        assert len(response.headers.get_list("set-cookie")) == 2
        assert response.cookies["session"] == "abc"
        # The client's jar sends them back on the next request.
        assert client.get("/echo").json()["cookies"] == {"session": "abc", "theme": "dark"}


def test_an_unknown_path_gets_the_apps_404():
    with TestClient(make_app()) as client:
        assert client.get("/nowhere").status_code == 404


def test_an_asgi_app_gets_the_same_api():
    app, _ = make_starlette()
    with TestClient(app) as client:
        info = client.post("/echo?x=1", content=b"body").json()
        assert info == {"method": "POST", "body": "body", "query": {"x": "1"},
                        "client": ["127.0.0.1", 50000]}


def test_httpx_clients_take_the_transports():
    with httpx.Client(transport=Transport(make_app()), base_url="http://testserver") as client:
        assert client.get("/echo").json()["method"] == "GET"

    async def main():
        async with httpx.AsyncClient(transport=AsyncTransport(make_app()),
                                     base_url="http://testserver") as client:
            return (await client.get("/slow")).text

    assert run(main()) == "slow"


# ---- lifespan -----------------------------------------------------------------------


def test_startup_and_shutdown_hooks_run_when_the_client_is_entered_and_left():
    app = make_app()
    calls = []

    @app.on_startup
    async def started(app):
        calls.append(("startup", asyncio.get_running_loop() is app.loop))

    @app.on_shutdown
    def stopped(app):
        calls.append("shutdown")

    client = TestClient(app)
    with client:
        assert calls == [("startup", True)]
        client.get("/echo")
    assert calls == [("startup", True), "shutdown"]
    # Without `with`, a client serves without running them.
    calls.clear()
    TestClient(app).get("/echo")
    assert calls == []


def test_a_failing_startup_hook_fails_the_with_statement():
    app = make_app()

    @app.on_startup
    def fail(app):
        raise Boom("no database")

    with pytest.raises(Boom, match="no database"), TestClient(app):
        pass


def test_an_asgi_apps_lifespan_runs_and_its_state_reaches_requests():
    app, state = make_starlette()
    with TestClient(app) as client:
        assert state == {"started": 1, "stopped": 0}
        assert client.get("/").text == "hello from lifespan"
    assert state == {"started": 1, "stopped": 1}


# ---- exceptions ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/boom", "/async-boom"])
def test_a_handlers_exception_is_raised_in_the_test(path):
    with TestClient(make_app()) as client:
        with pytest.raises(Boom, match="failed"):
            client.get(path)
        assert client.get("/echo").status_code == 200  # and the client goes on


def test_without_raising_the_wires_500_is_returned():
    with TestClient(make_app(), raise_server_exceptions=False) as client:
        response = client.get("/boom")
        assert response.status_code == 500
        assert response.text == "Internal Server Error"


def test_an_exception_the_app_handles_is_not_raised():
    app = make_app()
    app.add_error_handler(Boom, lambda request, exc: request.Response(code=418, text=str(exc)))
    with TestClient(app) as client:
        assert client.get("/boom").status_code == 418


def test_an_asgi_apps_exception_is_raised_in_the_test():
    app, _ = make_starlette()
    with TestClient(app) as client, pytest.raises(Boom, match="ASGI app failed"):
        client.get("/boom")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500


def test_a_handler_that_hangs_fails_with_httpxs_timeout():
    app = make_app()

    async def hang(request):
        await asyncio.sleep(60)

    app.router.add_route("/hang", hang)
    with TestClient(app, timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout, match="did not answer within 0.2 s"):
            client.get("/hang")
        assert client.get("/echo").status_code == 200


def test_a_sync_client_cannot_run_inside_its_loop():
    app = make_app()
    client = TestClient(app)

    def nested(request):
        return request.Response(text=client.get("/echo").text)

    app.router.add_route("/nested", nested)
    with pytest.raises(RuntimeError, match="AsyncTestClient"):
        client.get("/nested")


# ---- streaming ------------------------------------------------------------------------


def streaming_app(gate, finished):
    app = Application()

    async def pieces():
        try:
            yield "first;"
            await gate.wait()  # the test opens it between two reads
            yield "second;"
            for i in range(3):
                yield f"{i};"
        finally:
            finished.append(True)

    async def forever():
        try:
            while True:
                yield b"x" * 1000
        finally:
            finished.append("forever")

    async def upload(request):
        sizes = [len(piece) async for piece in request.stream()]
        return request.Response(json={"total": sum(sizes), "pieces": len(sizes)})

    async def broken():
        yield "a piece, then"
        raise Boom("the producer failed")

    app.router.add_route("/pieces", lambda request: request.Response(stream=pieces()))
    app.router.add_route("/broken", lambda request: request.Response(stream=broken()))
    app.router.add_route("/forever", lambda request: request.Response(stream=forever()))
    app.router.add_route("/upload", upload, stream_body=True)
    return app


def test_a_streamed_response_is_read_piece_by_piece_the_app_running_between():
    gate = asyncio.Event()
    finished = []
    with TestClient(streaming_app(gate, finished)) as client:
        with client.stream("GET", "/pieces") as response:
            assert response.headers["transfer-encoding"] == "chunked"
            chunks = response.iter_raw()
            assert next(chunks) == b"first;"
            assert not finished  # the generator waits for the gate
            gate.set()
            assert b"".join(chunks) == b"second;0;1;2;"
        assert finished == [True]


def test_leaving_an_endless_stream_ends_its_generator():
    finished = []
    with TestClient(streaming_app(asyncio.Event(), finished)) as client:
        with client.stream("GET", "/forever") as response:
            received = 0
            for chunk in response.iter_bytes():
                received += len(chunk)
                if received > 1_000_000:
                    break
        assert finished == ["forever"]  # the client left: the engine closed the generator


def test_a_producers_exception_is_raised_or_cuts_the_response():
    app = streaming_app(asyncio.Event(), [])
    with TestClient(app) as client, pytest.raises(Boom, match="producer failed"):
        client.get("/broken")
    with TestClient(app, raise_server_exceptions=False) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/broken")  # the connection is closed in the middle of the body


def test_every_way_of_using_a_connection_leaves_none_open():
    finished = []
    app = streaming_app(asyncio.Event(), finished)
    app.router.add_route("/hello", lambda request: request.Response(text="hello"))
    with TestClient(app) as client:
        engine = client.server.engine
        for _ in range(5):
            assert client.get("/hello").text == "hello"
            assert client.raw(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"hello")
            with client.stream("GET", "/forever") as response:
                next(response.iter_raw())
            client.post("/upload", content=b"z" * 100_000)
        assert engine.connection_count == 0
        assert finished == ["forever"] * 5


def test_a_streamed_upload_reaches_a_streaming_route_in_pieces():
    def body():
        for _ in range(64):
            yield b"y" * 16384

    with TestClient(streaming_app(asyncio.Event(), [])) as client:
        info = client.post("/upload", content=body()).json()
        assert info["total"] == 64 * 16384
        assert info["pieces"] > 1  # it was read as it came, not whole


def test_an_asgi_streaming_response_comes_in_its_pieces():
    app, _ = make_starlette()
    with TestClient(app) as client, client.stream("GET", "/pieces") as response:
        assert list(response.iter_text()) == ["piece 0\n", "piece 1\n", "piece 2\n"]


# ---- raw bytes ---------------------------------------------------------------------------


def test_raw_bytes_pipelined_and_malformed_give_the_engines_exact_bytes():
    with TestClient(make_app()) as client:
        wire = client.raw(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                          b"GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"
                          b"GET /bad\x01 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert wire.count(b"HTTP/1.1 200 OK\r\n") == 2
        assert wire.index(b"slow") < wire.index(b'"path":"/echo"')  # in request order
        assert b"HTTP/1.1 400 Bad Request\r\n" in wire and b"Connection: close\r\n" in wire


def test_raw_waits_for_an_async_answer_and_stops_when_idle():
    with TestClient(make_app()) as client:
        assert client.raw(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n").endswith(b"\r\n\r\nslow")
        assert client.raw(b"GET /slow HTTP/1.1\r\nHost: x\r\n") == b""  # half a head: idle


def test_raw_says_when_the_engine_is_still_busy():
    app, _ = make_starlette()
    with TestClient(app) as client, pytest.raises(TimeoutError, match="neither idle nor closed"):
        # The ASGI app waits for a body that never comes.
        client.raw(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", timeout=0.2)


# ---- async use -----------------------------------------------------------------------------


def test_the_async_client_serves_on_the_running_loop():
    app = make_app()
    calls = []
    app.on_startup(lambda app: calls.append("startup"))
    app.on_shutdown(lambda app: calls.append("shutdown"))

    async def main():
        async with AsyncTestClient(app) as client:
            assert calls == ["startup"]
            assert app.loop is asyncio.get_running_loop()
            responses = await asyncio.gather(*(client.get("/slow") for _ in range(5)))
            assert [r.text for r in responses] == ["slow"] * 5
            with pytest.raises(Boom):
                await client.get("/async-boom")
            async with client.stream("GET", "/echo") as response:
                assert (await response.aread()).startswith(b"{")
            assert (await client.raw(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")).endswith(b"slow")
        assert calls == ["startup", "shutdown"]

    run(main())


def test_the_async_client_streams_and_runs_an_asgi_lifespan():
    app, state = make_starlette()

    async def main():
        async with AsyncTestClient(app) as client:
            assert (await client.get("/")).text == "hello from lifespan"
            async with client.stream("GET", "/pieces") as response:
                return [chunk async for chunk in response.aiter_text()]

    assert run(main()) == ["piece 0\n", "piece 1\n", "piece 2\n"]
    assert state == {"started": 1, "stopped": 1}


# ---- FastAPI -----------------------------------------------------------------------------


def test_a_fastapi_app_with_its_dependencies_models_and_errors():
    from fastapi import Depends, FastAPI, HTTPException
    from pydantic import BaseModel

    class Item(BaseModel):
        name: str
        price: float

    def token(x_token: str = fastapi_header()):
        if x_token != "secret":
            raise HTTPException(status_code=401, detail="bad token")
        return x_token

    api = FastAPI()

    @api.post("/items/{item_id}")
    async def create(item_id: int, item: Item, _: str = Depends(token)):
        return {"id": item_id, "name": item.name, "total": item.price * 2}

    @api.get("/fails")
    async def fails():
        raise Boom("FastAPI's handler failed")

    with TestClient(api) as client:
        response = client.post("/items/7", json={"name": "pen", "price": 1.5},
                               headers={"X-Token": "secret"})
        assert response.json() == {"id": 7, "name": "pen", "total": 3.0}
        assert client.post("/items/7", json={"name": "pen", "price": 1},
                           headers={"X-Token": "no"}).json() == {"detail": "bad token"}
        assert client.post("/items/x", json={}, headers={"X-Token": "secret"}).status_code == 422
        with pytest.raises(Boom):
            client.get("/fails")


def fastapi_header():
    from fastapi import Header

    return Header()
