"""The test client against a real socket: the same bytes out of the engine, case by case.

A differential test: every case of tests/cases (sent to the echo app) and
requests to every example app go once over a socket to a server process
and once through lesto.testing's raw mode in this process; the engine must
write the same bytes both ways (the Date header aside, which is the clock's).
"""

import importlib.util
import random
import re
import sys

import cases
import pytest
import rawhttp
from conftest import APPS_DIR, EXAMPLES, EXAMPLES_DIR
from test_cases import AFTER
from websockets.sync.client import connect as ws_connect

from lesto.testing import TestClient

sys.path.insert(0, str(APPS_DIR))
import echo_app  # noqa: E402 (apps/ is on the path only now)

ALL_CASES = cases.load_cases()
DATE = re.compile(rb"\r\nDate: [^\r]*\r\n")
MAX_PIECES = 16


# The sse example's events carry the time they were made, and so do their chunks' sizes.
EVENT_TIME = re.compile(rb'"time": [0-9.e+-]+')
EVENT_CHUNK_SIZE = re.compile(rb"\r\n[0-9a-f]+\r\nid: ")


def undated(wire):
    wire = EVENT_TIME.sub(b'"time": -', wire)
    wire = EVENT_CHUNK_SIZE.sub(b"\r\n-\r\nid: ", wire)
    return DATE.sub(b"\r\nDate: -\r\n", wire)


@pytest.fixture
def client_for(loop_name, monkeypatch):
    """A TestClient for an app, on the loop the server processes of this run use."""
    monkeypatch.setenv("LESTO_LOOP", loop_name)
    made = []

    def make(app):
        made.append(TestClient(app))
        return made[-1]

    yield make
    for client in made:
        client.close()


class RecordingConnection(rawhttp.Connection):
    """A rawhttp connection that keeps every byte it received, as received."""

    def __init__(self, host, port):
        super().__init__(host, port)
        self.received = bytearray()

    def _fill(self):
        before = len(self.buffer)
        more = super()._fill()
        self.received += self.buffer[before:]
        return more

    def consumed(self):
        """The bytes the responses read so far were made of."""
        return bytes(self.received[:len(self.received) - len(self.buffer)])


def socket_wire(server, data):
    """Everything the server sends for `data` followed by the client's EOF."""
    with server.connect() as conn:
        try:
            conn.send(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it closed after an early error: what it sent is still to read
        conn.shutdown_write()
        return conn.read_to_eof()


def pieces(data, case):
    rng = random.Random(case.id())
    cuts = sorted(rng.sample(range(1, len(data)), min(MAX_PIECES - 1, len(data) - 1)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.id() for c in ALL_CASES])
def test_a_case_gives_the_same_bytes_in_memory_as_over_a_socket(echo_server, client_for, case):
    data = case.request if case.rest is not None else case.request + AFTER
    client = client_for(echo_app.make_app())
    over_socket = socket_wire(echo_server, data)
    assert over_socket, "the server sent nothing"
    assert undated(client.raw(data, eof=True)) == undated(over_socket)
    if b"100-continue" not in data.lower():
        # In pieces, the engine serving between them, the bytes are the same again
        # (an Expect: 100-continue is answered when its body has not come yet).
        assert undated(client.raw(pieces(data, case), eof=True)) == undated(over_socket)


def load_example(name):
    """The example's module, imported from examples/ under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def get(path, method="GET", headers=""):
    return f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n".encode()


def post(path, body, content_type="application/octet-stream", headers=""):
    return (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{headers}\r\n").encode() + body


FORM = (b"--xyz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAna\r\n"
        b"--xyz\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\n"
        b"Content-Type: text/plain\r\n\r\nhello\r\n--xyz--\r\n")

# What each example is asked, pipelined on one connection.
EXAMPLE_REQUESTS = {
    "hello": [get("/"), get("/nowhere"), get("/", "HEAD")],
    "async_handlers": [get("/async?steps=3"), get("/sync"), get("/async-quick")],
    "router": [get("/", "PUT"), get("/love"), post("/love", b""), get("/methods", "DELETE"),
               get("/methods"), get("/params/a%20b/2"), get("/braces/{literal}/7"),
               get("/nowhere")],
    "request": [post("/echo/x?a=1&a=2&b=x+y", b'{"k": [1, 2]}', "application/json",
                     "Cookie: theme=dark\r\n"),
                post("/echo", FORM, "multipart/form-data; boundary=xyz")],
    "response": [get(p) for p in ("/text", "/encoding", "/mime", "/body", "/json",
                                  "/code?code=418", "/headers", "/cookies", "/gone")],
    "exceptions": [get("/cat"), get("/dog"), get("/nowhere"), post("/cat", b""),
                   get("/unhandled")],
    "extend": [get("/", headers="User-Agent: curl\r\n").replace(b"localhost", b"api.example.com"),
               get("/", headers="User-Agent: curl\r\n"), get("/local"), get("/callback")],
    "html_template": [get("/"), get("/hello/%3Cb%3Eyou%3C%2Fb%3E?item=a%26b&item=c")],
    "sse": [get("/events?count=3")],
    "chat": [get("/")],
}


def test_every_example_is_asked():
    assert sorted(EXAMPLE_REQUESTS) == sorted(EXAMPLES)


@pytest.mark.parametrize("example", sorted(EXAMPLE_REQUESTS), indirect=True)
def test_an_example_gives_the_same_bytes_in_memory_as_over_a_socket(example, client_for):
    if example.app == "exceptions":
        example.expect_traceback("ZeroDivisionError")
    requests = EXAMPLE_REQUESTS[example.app]
    client = client_for(load_example(example.app).app)
    client.server.raise_server_exceptions = False  # the unhandled one is part of the example
    with RecordingConnection(example.host, example.port) as conn:
        conn.send(b"".join(requests))
        for request in requests:
            conn.read_response(head_request=request.startswith(b"HEAD"))
        over_socket = conn.consumed()
    in_memory = client.raw(b"".join(requests))
    assert undated(in_memory) == undated(over_socket)


@pytest.mark.parametrize("example", ["chat"], indirect=True)
def test_a_websocket_example_says_the_same_in_memory_as_over_a_socket(example, client_for):
    client = client_for(load_example("chat").app)
    url = f"ws://{example.host}:{example.port}/chat/lobby?name=ann"
    with ws_connect(url) as ann, client.websocket_connect("/chat/lobby?name=ann") as ann_here:
        assert ann_here.receive_text() == ann.recv()
        ann.send("hello")
        ann_here.send_text("hello")
        assert ann_here.receive_text() == ann.recv()
