"""Real ASGI frameworks (FastAPI, Starlette, Litestar, Django) served by uvicorn and by Lesto.

Each app in asgi_apps/ serves the same contract in its framework's idiom:

    GET  /hello                 text "Hello, world"
    GET  /items/{item_id:int}   {"item_id", "q"}; GET /greet/{name}: {"name"} (decoded)
    GET  /search?tag=&limit=    {"tags": [...], "limit"}; GET /whoami: parts of the scope
    POST /json                  {"name", "count"} in, {"name", "double"} out
    POST /form, POST /upload    urlencoded fields; multipart with a file: its size and sha256
    GET  /cookies/set?flavor=   sets the cookie; GET /cookies/read: {"flavor"} from the request
    GET  /error/teapot          the app's AppError, mapped by its exception handler to JSON 418
    GET  /error/unhandled       an error no handler maps: the framework's 500
    POST /tasks/{name}          202 and a background task that records name;
    GET  /tasks/{name}          waits until the task has run: {"done": name}
    GET  /stream, GET /sse      a streamed text body; server-sent events
    GET  /file                  the file named by $ASGI_TEST_FILE, as the framework serves files
    GET  /state                 {"greeting"} put in the state by the lifespan startup
    POST /upload/size           the body read in pieces: {"size", "sha256"}, header x-pieces
    GET  /redirect              a redirect to /hello
    WS   /ws/{room}?user=       FastAPI and Starlette: texts echoed as "room/user: text"
    every response of a route   x-middleware: the framework's name, set by a middleware

Django has neither lifespan state nor background tasks: it has no /state and no /tasks.

Two kinds of test: the differential one sends each case of asgi_cases.py as raw
bytes to uvicorn and to a candidate server and asks for the same answers; the
behaviour tests check, with httpx, that each app does what the contract says
under each server: uvicorn, Lesto's CLI and lesto.serve(). Lesto's side is
skipped, with the reason, until its CLI has `--interface asgi` (and lesto has
`serve`).
"""

import hashlib
import random

import asgi_cases
import httpx
import pytest
from asgi_apps import shared
from asgi_servers import REFERENCE, Pool, checked
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import connect

SAMPLE = random.Random(7).randbytes(300_000)  # GET /file: big enough to go out in several sends

# ---- servers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool(tmp_path_factory, server_log_dir):
    sample = tmp_path_factory.mktemp("asgi-files") / "sample.bin"
    sample.write_bytes(SAMPLE)
    pool = Pool(server_log_dir, {shared.FILE_ENV: str(sample)})
    yield pool
    problems = pool.stop_all()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# ---- the differential test -----------------------------------------------------------------------

CASE_PARAMS = [pytest.param(app, case, id=f"{app}-{case.name.replace(' ', '-')}")
               for case in asgi_cases.CASES for app in case.apps]


@pytest.fixture(params=["uvicorn-h11", "lesto"])
def pair(request, pool, app):
    """The reference server and a candidate, both serving `app`."""
    yield from checked(pool.get(app, REFERENCE), pool.get(app, request.param))


def exchange(server, case, tracebacks=()):
    """Sends the case on a fresh connection: per request, the interim statuses and the final response.

    `tracebacks`: the server must log a traceback holding each of these.
    """
    for marker in tracebacks:
        server.expect_traceback(marker)
    answers = exchange_bytes(server, case)
    for marker in tracebacks:
        server.wait_for_output(marker)
    return answers


def exchange_bytes(server, case):
    answers = []
    with server.connect() as conn:
        if len(case.requests) == 1 and case.requests[0].expect_continue:
            request = case.requests[0]
            conn.send(request.head())
            first = conn.read_response()
            if first.status >= 200:  # answered without the body: compared as it is
                return [([], first)]
            conn.send(request.encoded_body())
            final, more = conn.read_final_response()
            return [([first.status, *(r.status for r in more)], final)]
        conn.send(b"".join(bytes(request) for request in case.requests))
        for request in case.requests:
            final, interim = conn.read_final_response(head_request=request.method == "HEAD")
            answers.append(([r.status for r in interim], final))
    return answers


def header_values(response, name):
    values = response.header_all(name)
    if name == "allow":  # a set of methods: Starlette lists them in its set's order, which varies
        return sorted(method.strip() for value in values for method in value.split(","))
    return values


def significant(answer, request):
    """What of a response must be the same on every server (see asgi_cases.SIGNIFICANT_HEADERS)."""
    interim, response = answer
    headers = {name: header_values(response, name) for name in asgi_cases.SIGNIFICANT_HEADERS}
    body = response.body
    if len(body) > 16384:  # keeps a failure's diff readable
        body = (len(body), hashlib.sha256(body).hexdigest())
    fields = {"interim": interim, "status": response.status,
              "headers": {name: values for name, values in headers.items() if values}, "body": body}
    if request.method == "HEAD":
        fields["content-length"] = response.header("content-length")
    return fields


@pytest.mark.parametrize(("app", "case"), CASE_PARAMS)
def test_same_answers_as_uvicorn(app, case, pair):
    reference, candidate = pair
    tracebacks = [request.traceback_for(app) for request in case.requests if request.traceback_for(app)]
    expected = exchange(reference, case, tracebacks)
    assert [final.status for _, final in expected] == \
        [request.status_for(app) for request in case.requests], "the reference's statuses"
    answers = exchange(candidate, case, tracebacks)
    for request, want, got in zip(case.requests, expected, answers):
        want, got = significant(want, request), significant(got, request)
        if want.get("content-length", "") is None:
            # A HEAD whose app gave no length: uvicorn sends none, a server that learns it may.
            got["content-length"] = None
        assert got == want, f"{request.method} {request.path}: {candidate!r} differs from {reference!r}"


# ---- behaviour, per app and server, with httpx ---------------------------------------------------


@pytest.fixture(params=asgi_cases.FRAMEWORKS)
def framework(request):
    return request.param


@pytest.fixture(params=[REFERENCE, "lesto", "lesto-serve"])
def server(request, pool, framework):
    for (served,) in checked(pool.get(framework, request.param)):
        yield served


@pytest.fixture(scope="module")
def transport():
    """One connection pool for the module's clients: a client of its own costs 80 ms of TLS setup."""
    with httpx.HTTPTransport() as transport:
        yield transport


@pytest.fixture
def client(server, transport):
    """A client with cookies of its own; not closed, which would close the shared transport."""
    return httpx.Client(base_url=f"http://{server.host}:{server.port}", timeout=10.0,
                        transport=transport)


def needs(framework, feature):
    if framework == "django":
        pytest.skip(f"Django has no {feature}")


def test_routing_and_parameters(client):
    assert client.get("/hello").text == "Hello, world"
    assert client.get("/items/42", params={"q": "café"}).json() == {"item_id": 42, "q": "café"}
    assert client.get("/greet/a b").json() == {"name": "a b"}
    assert client.get("/search", params=[("tag", "x"), ("tag", "y")]).json() == \
        {"tags": ["x", "y"], "limit": 10}
    assert client.get("/nope").status_code == 404


def test_scope(client):
    seen = client.get("/whoami?a=1", headers={"x-custom": "yes"}).json()
    assert seen == {"method": "GET", "scheme": "http", "path": "/whoami", "root_path": "",
                    "query": "a=1", "client": "127.0.0.1", "header": "yes"}


def test_json_in_and_out(client):
    response = client.post("/json", json={"name": "widget", "count": 21})
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"name": "widget", "double": 42}
    assert 400 <= client.post("/json", content=b"{", headers={"content-type": "application/json"}) \
        .status_code < 500


def test_form_and_multipart(client):
    assert client.post("/form", data={"name": "Ada", "color": "blue"}).json() == \
        {"name": "Ada", "color": "blue"}
    data = SAMPLE[:70_000]
    answer = client.post("/upload", data={"name": "report"},
                         files={"file": ("data.bin", data, "application/octet-stream")}).json()
    assert answer == {"name": "report", "filename": "data.bin",
                      "content_type": "application/octet-stream", "size": len(data),
                      "sha256": hashlib.sha256(data).hexdigest()}


def test_cookies(client):
    response = client.get("/cookies/set", params={"flavor": "vanilla"})
    assert response.json() == {"set": "vanilla"}
    assert "httponly" in response.headers["set-cookie"].lower()
    assert client.get("/cookies/read").json() == {"flavor": "vanilla"}  # sent back by the jar


def test_middleware_and_exception_handler(client, framework):
    assert client.get("/hello").headers[shared.MIDDLEWARE_HEADER] == framework
    response = client.get("/error/teapot")
    assert response.status_code == 418
    assert response.json() == {"error": "AppError", "detail": "short and stout"}
    assert response.headers[shared.MIDDLEWARE_HEADER] == framework


def test_unhandled_error_is_500_and_the_server_goes_on(client, server, framework):
    server.expect_traceback("UnhandledError")
    # Connection: close, for the next request to go on a new connection: a server may close
    # the one whose app raised (uvicorn does, once the framework has sent its 500) without
    # saying so, since the app sent the response's head.
    assert client.get("/error/unhandled", headers={"connection": "close"}).status_code == 500
    if framework in asgi_cases.RAISE_TO_SERVER:
        server.wait_for_output("UnhandledError")
    assert client.get("/hello").status_code == 200


def test_background_task_runs_after_the_response(client, framework, request):
    needs(framework, "background tasks")
    name = f"task-{request.node.callspec.id}"
    response = client.post(f"/tasks/{name}")
    assert (response.status_code, response.json()) == (202, {"queued": name})
    assert client.get(f"/tasks/{name}").json() == {"done": name}


def test_streaming_response(client):
    with client.stream("GET", "/stream") as response:
        assert response.headers["content-type"].startswith("text/plain")
        assert "".join(response.iter_text()) == "".join(shared.STREAM_CHUNKS)


def test_server_sent_events(client):
    with client.stream("GET", "/sse") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = list(response.iter_lines())
    assert [line[len("data: "):] for line in lines if line.startswith("data:")] == shared.SSE_EVENTS


def test_file_response(client):
    response = client.get("/file")
    assert response.status_code == 200
    assert response.content == SAMPLE
    assert response.headers["content-length"] == str(len(SAMPLE))
    assert 'filename="sample.bin"' in response.headers["content-disposition"]


def test_lifespan_state(client, framework):
    needs(framework, "lifespan state (its ASGI handler refuses the lifespan scope)")
    assert client.get("/state").json() == {"greeting": shared.GREETING}


def test_large_upload_read_in_pieces(client):
    big = asgi_cases.BIG
    piece = 1024 * 1024

    def pieces():  # no length known in advance: httpx sends it chunked
        for i in range(0, len(big), piece):
            yield big[i:i + piece]

    response = client.post("/upload/size", content=pieces())
    assert response.json() == {"size": len(big), "sha256": hashlib.sha256(big).hexdigest()}
    assert int(response.headers[shared.PIECES_HEADER]) > 1
    response = client.post("/upload/size", content=big)  # with a Content-Length
    assert response.json() == {"size": len(big), "sha256": hashlib.sha256(big).hexdigest()}


def test_a_websocket_route(server, framework):
    if framework not in ("fastapi", "starlette"):
        pytest.skip(f"the {framework} app has no WebSocket route")
    url = f"ws://{server.host}:{server.port}/ws/lobby?user=ada"
    with connect(url, subprotocols=["chat"], open_timeout=5) as ws:
        assert ws.subprotocol == "chat"
        ws.send("hello")
        assert ws.recv(timeout=5) == "lobby/ada: hello"
        ws.send("caf\u00e9 " * 1000)  # a long message, in more than one read
        assert ws.recv(timeout=5) == "lobby/ada: " + "caf\u00e9 " * 1000
        ws.send("bye")
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=5)
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4000, "bye to you")
