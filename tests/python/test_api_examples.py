"""examples/: each run as a real server (python examples/X.py HOST PORT), asked over a socket."""

import json
import socket
import subprocess
import time

import pytest
from conftest import EXAMPLES, EXAMPLES_DIR
from rawhttp import get, post
from websockets.sync.client import connect as ws_connect


def test_every_example_is_tested():
    assert sorted(p.stem for p in EXAMPLES_DIR.glob("*.py")) == sorted(EXAMPLES)


def examples(name):
    return pytest.mark.parametrize("example", [name], indirect=True)


@examples("hello")
def test_hello(example):
    response = example.exchange(get("/"))
    assert (response.status, response.body) == (200, b"Hello world!")


@examples("async_handlers")
def test_async(example):
    with example.connect() as conn:
        conn.send(get("/async?steps=3") + get("/sync") + get("/async-quick"))
        responses = conn.read_responses(3)
    assert [r.body for r in responses] == [b"I am asynchronous! (3 steps)", b"I am synchronous!",
                                           b"async, but never suspended"]


@examples("router")
def test_router(example):
    with example.connect() as conn:
        conn.send(get("/", method="PUT") + get("/love") + post("/love", b"")
                  + get("/methods", method="DELETE") + get("/methods")
                  + get("/params/a%20b/2") + get("/braces/{literal}/7") + get("/nowhere"))
        slash, love, love_post, delete, methods_get, params, braces, missing = \
            conn.read_responses(8)
    assert slash.body == b"Hello PUT /!"
    assert love.body == b"Got some love"
    assert (love_post.status, love_post.header("Allow")) == (405, "GET")
    assert delete.body == b"Hello DELETE!"
    assert (methods_get.status, methods_get.header("Allow")) == (405, "POST, DELETE")
    assert params.json() == {"p1": "a b", "p2": "2"}
    assert braces.body == b"{literal} then 7"
    assert missing.status == 404


@examples("request")
def test_request(example):
    info = example.exchange(
        post("/echo/x?a=1&a=2&b=x+y", b'{"k": [1, 2]}',
             [("Content-Type", "application/json"), ("Cookie", "theme=dark")])).json()
    assert info["method"] == "POST" and info["path"] == "/echo/x"
    assert info["query"] == {"a": "2", "b": "x y"}
    assert info["query_all"] == [["a", "1"], ["a", "2"], ["b", "x y"]]
    assert info["json"] == {"k": [1, 2]}
    assert info["text"] == '{"k": [1, 2]}'
    assert info["mime_type"] == "application/json" and info["encoding"] is None
    assert info["cookies"] == {"theme": "dark"}
    assert (info["hostname"], info["port"]) == ("localhost", None)
    assert info["match_dict"] == {"name": "x"} and info["route"] == "/echo/{name}"
    assert info["form"] is None and info["files"] is None
    assert info["headers"]["Cookie"] == "theme=dark"
    assert info["remote_addr"] == "127.0.0.1" and info["keep_alive"] is True


@examples("request")
def test_request_form_files_and_bad_json(example):
    boundary = "xyz"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nAna\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n").encode()
    info = example.exchange(post("/echo", body, [
        ("Content-Type", f"multipart/form-data; boundary={boundary}")])).json()
    assert info["form"] == {"name": "Ana"}
    assert info["files"] == [{"field_name": "up", "name": "a.txt", "type": "text/plain",
                              "content_type": "text/plain", "size": 5}]
    assert info["json"]["error"].startswith("InvalidJSON: request body is not valid JSON")


@examples("response")
def test_response(example):
    with example.connect() as conn:
        paths = ["/text", "/encoding", "/mime", "/body", "/json", "/code?code=418", "/headers",
                 "/cookies", "/gone"]
        conn.send(b"".join(get(p) for p in paths))
        r = dict(zip(paths, conn.read_responses(len(paths))))
    assert r["/text"].body == b"Hello world!"
    assert r["/encoding"].body == "Já pronto!".encode("latin-1")
    assert r["/encoding"].header("Content-Type") == "text/plain; charset=iso-8859-1"
    assert r["/mime"].header("Content-Type") == "image/svg+xml; charset=utf-8"
    assert r["/body"].body == b"\xde\xad\xbe\xef"
    assert r["/json"].json() == {"hello": "world"}
    assert r["/code?code=418"].status == 418
    assert r["/headers"].header("X-Header") == "Value"
    assert r["/cookies"].header_all("Set-Cookie") == [
        "hello=world; Domain=localhost; Max-Age=3600; Path=/", 'city="S\\343o Paulo"']
    assert (r["/gone"].status, r["/gone"].body) == (410, b"This page is gone for good.")


@examples("exceptions")
def test_exceptions(example):
    with example.connect() as conn:
        conn.send(get("/cat") + get("/dog") + get("/nowhere") + post("/cat", b"")
                  + get("/unhandled"))
        cat, dog, missing, wrong_method, unhandled = conn.read_responses(5)
    assert (cat.status, cat.body) == (200, b"Just a kitty, meow")
    assert (dog.status, dog.body) == (200, b"Just a doggie, woof")
    assert (missing.status, missing.body) == (404, b"Are you lost, pal?")
    assert (wrong_method.status, wrong_method.body) == (405, b"POST? Try GET.")
    assert wrong_method.header("Allow") == "GET"
    assert (unhandled.status, unhandled.body) == (500, b"Something went wrong: ZeroDivisionError")
    assert "GET /unhandled failed: ZeroDivisionError" in example.log()


@examples("extend")
def test_extend(example):
    with example.connect() as conn:
        conn.send(get("/", [("User-Agent", "curl")], host="api.example.com")
                  + get("/", [("User-Agent", "curl")], host="www.example.com")
                  + get("/local") + get("/callback"))
        api, www, local, callback = conn.read_responses(4)
    assert api.body == b"Hello lruc"
    assert www.body == b"Hello stranger"
    assert local.json() == {"local": True}
    assert callback.body == b"cb"


@examples("html_template")
def test_html(example):
    with example.connect() as conn:
        conn.send(get("/") + get("/hello/%3Cb%3Eyou%3C%2Fb%3E?item=a%26b&item=c"))
        index, hello = conn.read_responses(2)
    assert index.header("Content-Type") == "text/html; charset=utf-8"
    assert b"<title>Fruits</title>" in index.body and b"<li>banana</li>" in index.body
    page = hello.body.decode()
    assert "<h1>Hello, &lt;b&gt;you&lt;/b&gt;!</h1>" in page
    assert "<li>a&amp;b</li>\n<li>c</li>" in page


@examples("sse")
def test_sse_streams_events_to_several_clients_every_100_ms(example):
    url = f"http://{example.host}:{example.port}/events?count=5"
    started = time.monotonic()
    clients = [subprocess.Popen(["curl", "-sN", "--max-time", "10", url], stdout=subprocess.PIPE)
               for _ in range(3)]
    outputs = [c.communicate()[0].decode() for c in clients]
    took = time.monotonic() - started
    for out in outputs:
        events = [e for e in out.split("\n\n") if e]
        assert [e.splitlines()[0] for e in events] == [f"id: {n}" for n in range(5)]
        assert all(e.splitlines()[1] == "event: tick" for e in events)
        assert max(json.loads(e.splitlines()[2][6:])["listeners"] for e in events) >= 2
    assert took >= 0.4  # paced by the generator's sleeps, not sent at once


@examples("sse")
def test_sse_a_client_that_leaves_ends_its_generator(example):
    url = f"http://{example.host}:{example.port}/events"
    for _ in range(2):
        subprocess.run(["curl", "-sN", "--max-time", "0.5", url], capture_output=True)
    out = subprocess.run(["curl", "-sN", "--max-time", "10", url + "?count=1"],
                         capture_output=True, check=True).stdout.decode()
    assert '"listeners": 1' in out  # the two that left were closed


@examples("chat")
def test_chat_broadcasts_to_the_room_and_says_who_left(example):
    base = f"ws://{example.host}:{example.port}/chat"
    with ws_connect(f"{base}/lobby?name=ann") as ann:
        assert json.loads(ann.recv()) == {"name": "server", "text": "ann joined"}
        with ws_connect(f"{base}/lobby?name=bob") as bob, ws_connect(f"{base}/other?name=eve") as eve:
            assert json.loads(ann.recv())["text"] == "bob joined"
            assert json.loads(bob.recv())["text"] == "bob joined"
            bob.send("hello room")
            assert json.loads(ann.recv()) == {"name": "bob", "text": "hello room"}
            assert json.loads(bob.recv()) == {"name": "bob", "text": "hello room"}
            assert json.loads(eve.recv())["text"] == "eve joined"  # and nothing of the lobby's
        assert json.loads(ann.recv())["text"] == "bob left"
    with socket.create_connection((example.host, example.port)) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"new WebSocket" in s.recv(65536)
