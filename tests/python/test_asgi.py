"""The ASGI front-end over real sockets: scope, receive, send, streams, lifespan, bad apps.

The app (apps/asgi_app.py) is a raw ASGI 3 app; frameworks are in
test_asgi_frameworks.py.
"""

import hashlib
import json
import os
import signal
import socket
import sys
import time
import uuid

import pytest
from conftest import ServerProcess
from ops_helpers import LESTO, Lesto
from rawhttp import Connection, chunked, get, post
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect as ws_connect


@pytest.fixture(scope="module")
def asgi_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("asgi") / "payload.bin"
    path.write_bytes(os.urandom(300_000))
    return path


@pytest.fixture(scope="module")
def _asgi_process(loop_name, server_log_dir, asgi_file):
    os.environ["ASGI_TEST_FILE"] = str(asgi_file)
    server = ServerProcess("asgi_app", loop_name, server_log_dir)
    server.start()
    yield server
    problems = server.stop()
    assert "lifespan shutdown ran" in server.log(), "lifespan.shutdown did not run at the stop"
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def server(_asgi_process):
    _asgi_process.begin_test()
    yield _asgi_process
    problems = _asgi_process.end_test()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def fresh_id():
    return uuid.uuid4().hex[:12]


def wait_record(server, key, field, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        r = server.exchange(get(f"/record/{key}")).json()
        if r and field in r:
            return r
        if time.monotonic() > deadline:
            raise AssertionError(f"record {key} has no {field!r}: {r}")
        time.sleep(0.02)


# ---- the scope ------------------------------------------------------------------------


def test_the_scope_has_every_key_the_spec_names(server):
    r = server.exchange(get("/scope/caf%C3%A9%2Fx?a=1&b=%20", headers=[
        ("X-Dup", "one"), ("Accept", "*/*"), ("x-dup", "two"), ("ACCEPT-Encoding", "gzip"),
        ("X-A-Header-Name-Longer-Than-32-Bytes", "long"), ("Hos", "not host")]))
    assert r.status == 200
    scope = r.json()
    assert scope["type"] == "http"
    assert scope["asgi"] == {"version": "3.0", "spec_version": "2.5"}
    assert scope["http_version"] == "1.1"
    assert scope["method"] == "GET"
    assert scope["scheme"] == "http"
    assert scope["path"] == "/scope/café/x"  # every escape decoded, UTF-8 read
    assert scope["raw_path"] == "/scope/caf%C3%A9%2Fx"
    assert scope["query_string"] == "a=1&b=%20"
    assert scope["root_path"] == ""
    # Lower-cased names, in order, duplicates kept; common ones (accept,
    # accept-encoding) come from a table, the others are made.
    assert scope["headers"] == [["host", "localhost"], ["x-dup", "one"], ["accept", "*/*"],
                                ["x-dup", "two"], ["accept-encoding", "gzip"],
                                ["x-a-header-name-longer-than-32-bytes", "long"],
                                ["hos", "not host"]]
    assert scope["client"][0] == "127.0.0.1" and isinstance(scope["client"][1], int)
    assert scope["server"] == ["127.0.0.1", server.port]
    assert "http.response.pathsend" in scope["extensions"]


def test_state_from_lifespan_is_copied_into_each_request(server):
    first = server.exchange(get("/scope")).json()
    second = server.exchange(get("/scope")).json()
    assert first["state"]["started"] == "yes"  # set by lifespan.startup
    # The first request added "touched" to its own copy only.
    assert "touched" not in second["state"]


def test_http_1_0_is_told_to_the_app(server):
    r = server.exchange(get("/scope", version="1.0"))
    assert r.json()["http_version"] == "1.0"


def test_the_usual_values_the_template_holds_never_leak_between_requests(server):
    # The template holds HTTP/1.1, GET and an empty query (lesto/asgi.py):
    # a request that differs sets its own, and the next one has the usual.
    seen = [server.exchange(get(path, method=method, version=version)).json()
            for path, method, version in [("/scope?q=1", "DELETE", "1.0"), ("/scope", "GET", "1.1"),
                                          ("/scope?", "PATCH", "1.1"), ("/scope", "GET", "1.0")]]
    assert [(s["method"], s["query_string"], s["http_version"]) for s in seen] == [
        ("DELETE", "q=1", "1.0"), ("GET", "", "1.1"), ("PATCH", "", "1.1"), ("GET", "", "1.0")]


# ---- request bodies ----------------------------------------------------------------------


def test_a_body_with_content_length_arrives(server):
    r = server.exchange(post("/echo", b"hello body"))
    assert (r.status, r.body) == (200, b"hello body")


def test_a_chunked_body_arrives(server):
    r = server.exchange(chunked("/echo", [b"one ", b"two ", b"three"]))
    assert r.body == b"one two three"


def test_a_large_body_comes_in_pieces_as_it_arrives(server):
    body = os.urandom(5 << 20)
    r = server.exchange(post("/echo", body))
    assert r.header("x-sha256") == hashlib.sha256(body).hexdigest()
    assert int(r.header("x-messages")) > 1


def test_a_slow_reader_gets_the_body_paced(server):
    body = b"u" * (8 << 20)
    r = server.exchange(post("/slow-read", body))
    result = json.loads(r.body)
    assert result["size"] == len(body)
    assert result["messages"] > 10  # read as it came, never all at once


def test_a_slow_uploader_is_read_as_it_sends(server):
    with server.connect() as conn:
        conn.send(get("/echo", method="POST", headers=[("Transfer-Encoding", "chunked")]))
        for piece in (b"first ", b"second ", b"third"):
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            time.sleep(0.2)  # each piece reaches the app on its own
        conn.send(b"0\r\n\r\n")
        r = conn.read_response()
    assert r.body == b"first second third"
    assert int(r.header("x-messages")) >= 3


def test_100_continue_is_sent_when_the_app_reads(server):
    with server.connect() as conn:
        conn.send(get("/echo", method="POST", headers=[("Content-Length", "5"),
                                                       ("Expect", "100-continue")]))
        interim = conn.read_response()
        assert interim.status == 100
        conn.send(b"12345")
        r = conn.read_response()
    assert r.body == b"12345"


# ---- responses ------------------------------------------------------------------------------


def test_a_body_in_pieces_goes_out_chunked(server):
    r = server.exchange(get("/stream/5"))
    assert r.header("Transfer-Encoding") == "chunked"
    assert r.body == b"".join(b"piece %d\n" % i for i in range(5))


def test_a_declared_length_is_kept_for_a_streamed_body(server):
    length = len(b"".join(b"piece %d\n" % i for i in range(3)))
    r = server.exchange(get(f"/stream/3?length={length}"))
    assert r.header("Content-Length") == str(length)
    assert r.header("Transfer-Encoding") is None


def test_a_streamed_body_longer_than_its_length_closes_the_connection(server):
    server.expect_traceback("Content-Length")
    with server.connect() as conn:
        conn.send(get("/stream/3?length=5"))
        data = conn.read_to_eof()
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Content-Length: 5" in head
    assert len(body) < 5  # the piece that would overrun is not sent: the close tells the client


def test_a_whole_body_must_match_its_length(server):
    server.expect_traceback("content-length says 100 bytes, the body has 5")
    r = server.exchange(get("/wrong-length"))
    assert r.status == 500


def test_head_gets_the_length_and_no_body(server):
    r = server.exchange(get("/head-length", method="HEAD"), head_request=True)
    assert (r.status, r.header("Content-Length"), r.body) == (200, "11", b"")
    r = server.exchange(get("/stream/3", method="HEAD"), head_request=True)
    assert r.body == b""


def test_connection_close_from_the_app_closes_after_the_response(server):
    with server.connect() as conn:
        conn.send(get("/close-after") + get("/scope"))  # the second is never answered
        r = conn.read_response()
        assert (r.body, r.header("Connection")) == (b"bye", "close")
        assert conn.read_to_eof() == b""


def test_pathsend_sends_the_file(server, asgi_file):
    r = server.exchange(get("/pathsend"))
    assert r.header("Content-Length") == str(asgi_file.stat().st_size)
    assert r.body == asgi_file.read_bytes()


def test_pipelined_requests_are_answered_in_order(server):
    paths = ["/waits/a?for=0.1", "/stream/3?sleep=1", "/waits/b?for=0", "/echo", "/waits/c"]
    data = b"".join(post(p, b"x") if p == "/echo" else get(p) for p in paths)
    with server.connect() as conn:
        conn.send(data)
        responses = conn.read_responses(len(paths))
    assert [r.body for r in responses] == [
        b"/waits/a", b"piece 0\npiece 1\npiece 2\n", b"/waits/b", b"x", b"/waits/c"]


# ---- the client going, and receive() after the body ---------------------------------------


def test_send_after_the_client_left_raises_an_oserror(server):
    key = fresh_id()
    with server.connect() as conn:
        conn.send(get(f"/endless?id={key}"))
        conn.sock.recv(65536)
    r = wait_record(server, key, "send_raised")
    assert r == {"send_raised": "ClientDisconnected", "is_oserror": True}


def test_a_client_that_does_not_read_holds_the_app_back(server):
    key = fresh_id()
    with server.connect() as conn:
        conn.send(get(f"/flood?id={key}"))
        time.sleep(1.0)  # not reading: the socket buffers fill, then send() must wait
        sent = wait_record(server, key, "sent")["sent"]
        time.sleep(0.5)
        assert wait_record(server, key, "sent")["sent"] == sent  # held back, not buffering
    # Socket buffers and one high-water mark, not the gigabyte the app would send.
    assert sent < 32 << 20
    assert wait_record(server, key, "gone")["gone"]


def test_receive_gives_disconnect_when_the_client_leaves(server):
    key = fresh_id()
    with server.connect() as conn:
        conn.send(post(f"/wait-disconnect?id={key}", b"body"))
        assert b"waiting" in conn.sock.recv(65536)
    assert wait_record(server, key, "next")["next"] == "http.disconnect"


def test_receive_gives_disconnect_once_the_response_is_done(server):
    key = fresh_id()
    assert server.exchange(post(f"/after-response?id={key}", b"b")).body == b"done"
    assert wait_record(server, key, "next")["next"] == "http.disconnect"


def test_the_app_runs_on_after_its_response(server):
    key = fresh_id()
    with server.connect() as conn:
        conn.send(get(f"/background?id={key}"))
        assert conn.read_response().body == b"answered"
    # The connection is closed before the background work ends: it must still end.
    assert wait_record(server, key, "background")["background"] == "finished"


# ---- bad apps -----------------------------------------------------------------------------


def test_an_app_raising_before_it_answers_gets_a_500_and_a_traceback(server):
    server.expect_traceback("the app broke before answering")
    r = server.exchange(get("/raise-before"))
    assert r.status == 500
    assert "the app broke before answering" in server.log()


def test_an_app_raising_mid_body_gets_the_connection_closed(server):
    server.expect_traceback("the app broke mid-body")
    with server.connect() as conn:
        conn.send(get("/raise-after"))
        data = conn.read_to_eof()  # no last chunk: the client can tell it was cut
    assert b"partial" in data and not data.endswith(b"0\r\n\r\n")


@pytest.mark.parametrize("path, logged", [
    ("/no-response", "returned without sending a response"),
    ("/double-start", "http.response.start sent twice"),
    ("/body-first", "http.response.body sent before http.response.start"),
    ("/str-body", "'body' must be bytes, got str"),
])
def test_a_misbehaving_app_gets_a_500_and_a_log_line(server, path, logged):
    server.expect_traceback(logged)
    r = server.exchange(get(path))
    assert r.status == 500
    assert logged in server.log()


def test_a_header_that_would_split_the_response_is_refused(server):
    server.expect_traceback("x-evil")
    r = server.exchange(get("/bad-header"))
    assert r.status == 500
    assert r.header("Set-Cookie") is None
    assert b"stolen" not in r.raw_head


# ---- the websocket scope ---------------------------------------------------------------


def ws_url(server, path):
    return f"ws://{server.host}:{server.port}{path}"


def test_a_websocket_app_gets_connect_then_messages_both_ways(server):
    with ws_connect(ws_url(server, "/ws-echo"), subprotocols=["chat"]) as ws:
        assert ws.subprotocol == "chat"
        assert ws.response.headers["x-scope-type"] == "websocket"
        ws.send("text")
        assert ws.recv() == "text"
        ws.send(b"\x00bytes")
        assert ws.recv() == b"\x00bytes"


def test_the_websocket_scope_has_the_spec_keys(server):
    with ws_connect(ws_url(server, "/ws-scope?a=1"), subprotocols=["x", "y"]) as ws:
        scope = json.loads(ws.recv())
    assert scope["type"] == "websocket"
    assert scope["scheme"] == "ws"
    assert scope["path"] == "/ws-scope"
    assert scope["query_string"] == repr(b"a=1")
    assert scope["subprotocols"] == ["x", "y"]
    assert scope["http_version"] == "1.1"
    assert "method" not in scope
    assert "websocket.http.response" in scope["extensions"]


def test_a_client_close_reaches_the_app_as_disconnect_and_send_then_raises(server):
    key = fresh_id()
    with ws_connect(ws_url(server, f"/ws-echo?id={key}")) as ws:
        ws.close(4002, "leaving")
    r = wait_record(server, key, "send_after")
    assert r["disconnect"] == [4002, "leaving"]
    assert r["send_after"] == "WebSocketClosed"


def test_the_app_closes_with_its_code(server):
    with ws_connect(ws_url(server, "/ws-echo")) as ws:
        ws.send("close please")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, "as asked")


@pytest.mark.parametrize("path, status", [
    ("/ws-refuse", 403), ("/ws-deny", 401), ("/ws-raise-before", 500), ("/ws-no-accept", 500),
])
def test_a_handshake_the_app_does_not_accept_is_answered_in_http(server, path, status):
    if path == "/ws-raise-before":
        server.expect_traceback("ws boom before accept")
    if path == "/ws-no-accept":
        server.expect_traceback("without accepting")
    with pytest.raises(InvalidStatus) as info:
        ws_connect(ws_url(server, path))
    assert info.value.response.status_code == status
    if status == 401:
        assert info.value.response.body == b"no entry"


def test_an_app_that_raises_after_accepting_closes_with_1011(server):
    server.expect_traceback("ws boom after accept")
    with ws_connect(ws_url(server, "/ws-raise-after")) as ws:
        ws.send("go")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
    assert info.value.rcvd.code == 1011


def test_a_broken_handshake_never_reaches_the_app(server):
    r = server.exchange(get("/ws-echo", headers=[
        ("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "7")]))
    assert r.status == 426
    assert r.header("Sec-WebSocket-Version") == "13"


# ---- the command line and lifespan ----------------------------------------------------------

LIFESPAN_APPS = '''
async def unsupported(scope, receive, send):
    if scope["type"] != "http":
        raise RuntimeError("only http here")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": scope["root_path"].encode() or b"ok"})


async def failing(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database today"})
        return
    await unsupported(scope, receive, send)


def make():
    return unsupported


async def logged(scope, receive, send):
    """Lifespan that says which worker started and stopped."""
    import os
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            print(f"{message['type']} in {os.getpid()}", flush=True)
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(os.getpid()).encode()})
'''


@pytest.fixture
def lifespan_dir(tmp_path):
    (tmp_path / "lifespan_apps.py").write_text(LIFESPAN_APPS)
    return tmp_path


def run_cli(directory, tmp_path, *args, wait=True):
    server = Lesto([*LESTO, *args, "--host", "127.0.0.1"], tmp_path / f"log{fresh_id()}.txt",
                   cwd=directory, port=free())
    return server.start(wait_for="Lesto serving on" if wait else None)


def free():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(server, path="/"):
    with Connection("127.0.0.1", server.port) as conn:
        conn.send(get(path))
        return conn.read_response().body


def test_an_app_without_lifespan_is_served_with_auto(lifespan_dir, tmp_path):
    server = run_cli(lifespan_dir, tmp_path, "lifespan_apps:unsupported")
    try:
        assert fetch(server) == b"ok"
        assert "does not support lifespan" in server.log()
    finally:
        server.proc.terminate()
        server.proc.wait(10)


def test_lifespan_on_requires_it(lifespan_dir, tmp_path):
    server = run_cli(lifespan_dir, tmp_path, "lifespan_apps:unsupported", "--lifespan", "on",
                     wait=False)
    assert server.proc.wait(20) == 3
    assert "lifespan ended before answering lifespan.startup" in server.log()


def test_a_failed_startup_stops_the_worker_with_the_apps_message(lifespan_dir, tmp_path):
    server = run_cli(lifespan_dir, tmp_path, "lifespan_apps:failing", wait=False)
    assert server.proc.wait(20) == 3
    assert "no database today" in server.log()


def test_factory_and_root_path_from_the_command_line(lifespan_dir, tmp_path):
    server = run_cli(lifespan_dir, tmp_path, "lifespan_apps:make", "--factory",
                     "--root-path", "/api", "--interface", "asgi")
    try:
        assert fetch(server) == b"/api"
    finally:
        server.proc.terminate()
        server.proc.wait(10)


def test_workers_restart_and_stop_with_lifespan_in_each(lifespan_dir, tmp_path):
    server = run_cli(lifespan_dir, tmp_path, "lifespan_apps:logged", "--workers", "2")
    try:
        first = set(server.workers(2))
        server.wait_for_log("lifespan.startup in", count=2)
        assert int(fetch(server)) in first
        server.signal(signal.SIGHUP)  # a rolling restart: new workers, each with its startup
        server.wait_for_log("workers replaced")
        second = set(server.workers(2))
        assert not first & second
        assert int(fetch(server)) in second
        assert server.stop() == 0
        log = server.log()
        for pid in first | second:  # every worker ran its shutdown after its connections
            assert f"lifespan.startup in {pid}" in log and f"lifespan.shutdown in {pid}" in log
    finally:
        if server.proc.poll() is None:
            server.kill()


# ---- a call that waits under the task it started on ---------------------------------
# The engine makes an ASGI call's first step itself (no Task: most calls end in it).
# A call that waits after its code kept the task of that step (an anyio cancel scope
# does) goes on under that same task, which then drives it as a Task would.

def test_an_anyio_cancel_scope_across_waits_stays_on_its_task_and_fires(server):
    assert server.exchange(get("/anyio-scope")).json() == {"cancelled": True, "same_task": True}


def test_a_call_waiting_on_its_first_task_is_cancelled_when_the_server_stops(
        loop_name, server_log_dir, asgi_file):
    os.environ["ASGI_TEST_FILE"] = str(asgi_file)
    own = ServerProcess("asgi_app", loop_name, server_log_dir)
    own.start()
    try:
        assert own.exchange(get("/anyio-forever")).body == b"waiting"
    finally:
        problems = own.stop()
    assert not problems, problems
    assert "anyio_forever was cancelled" in own.log()


def test_a_request_writes_to_another_requests_stream_at_once(server):
    # One app's send() on another connection's stream, while the engine
    # serves the first: the piece goes out with no further event on the
    # listener's connection (it waited for one before).
    key = fresh_id()
    with server.connect() as listener:
        listener.send(get(f"/listen/{key}"))
        listener._take_until(b"ready\n")
        for word in ("hello", "again"):
            assert server.exchange(get(f"/say/{key}?text={word}")).body == b"said"
            listener._take_until(word.encode() + b"\n")
        assert server.exchange(get(f"/hang-up/{key}")).body == b"hung up"
        listener._take_until(b"bye\n")


def test_message_keys_made_at_run_time_are_read_by_value(server):
    r = server.exchange(get("/made-keys"))
    assert (r.status, r.header("x-made"), r.body) == (201, "yes", b"after")


# ---- the call behind receive and send is reused only when nobody keeps it (refcount.hpp) ----


def reuse_counts(server):
    return server.exchange(get("/reuse-counts")).json()


def reuses_calls(counts):
    """Whether a call that ends in its first step is reused: where the engine makes that step
    itself (3.11, coroutines.cpp's run_asgi); elsewhere a Task runs every call."""
    return counts["reuse_objects"] and sys.version_info[:2] == (3, 11)


def test_asgi_calls_nobody_keeps_are_reused(server):
    before = reuse_counts(server)
    with server.connect() as conn:
        # Apps that end without waiting: a call that waited ends in its Task, not reused.
        conn.send(b"".join(get(f"/record/none-{i}") for i in range(50)))
        assert [r.body for r in conn.read_responses(50)] == [b"null"] * 50
    after = reuse_counts(server)
    assert after["calls_made"] - before["calls_made"] == (0 if reuses_calls(before) else 51)


@pytest.mark.parametrize("how", ["strong", "weak"])
def test_a_kept_asgi_receive_or_send_stays_with_its_request(server, how):
    key = fresh_id()
    before = reuse_counts(server)
    assert server.exchange(get(f"/keep/{key}?how={how}")).body == b"kept"
    with server.connect() as conn:
        conn.send(b"".join(get(f"/record/other-{i}") for i in range(50)))
        assert [r.body for r in conn.read_responses(50)] == [b"null"] * 50
    # Were the kept call handed to a later request, /kept itself would run on
    # it: its receive would give that request's body, its send would answer it.
    said = server.exchange(get(f"/kept/{key}")).json()
    if how == "strong":
        assert said == {"receive": "http.disconnect", "send": "RuntimeError"}
        if reuses_calls(before):
            # The kept call is never reused: one more was made in its place.
            assert reuse_counts(server)["calls_made"] - before["calls_made"] == 1
    else:
        # Referred to weakly, the methods are gone with their request (the
        # call was not reused, so nothing kept them) or still their own.
        assert said["receive"] in ("dead", "http.disconnect"), said
        assert said["send"] in ("dead", "RuntimeError"), said
