"""Bodies over TLS: files (kernel TLS or read and encrypted in pieces), streams, uploads, WSS.

The same apps as the plain suites (apps/streams_app.py, apps/ws_app.py),
serving HTTPS with the session's certificate (conftest's tls_* fixtures),
on both event loops.
"""

import ast
import hashlib
import os

import httpx
import pytest
import rawhttp
from websockets.sync.client import connect

pytestmark = pytest.mark.timeout(120)


def client(server):
    return httpx.Client(base_url=f"https://localhost:{server.port}",
                        verify=server.certs.client_context(), timeout=30)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """5 MiB and a bit of random bytes: several pieces of the copy path, an odd tail."""
    path = tmp_path_factory.mktemp("tls-files") / "big.bin"
    path.write_bytes(os.urandom(5 * 1024 * 1024 + 12345))
    return path


def test_a_file_arrives_whole_over_tls(tls_streams_server, big_file):
    with client(tls_streams_server) as c:
        response = c.get("/file", params={"path": str(big_file)})
    assert response.status_code == 200
    assert response.headers["content-length"] == str(big_file.stat().st_size)
    assert hashlib.sha256(response.content).digest() == hashlib.sha256(
        big_file.read_bytes()).digest()
    # Which way files go out is told once per worker (README, "HTTPS").
    assert tls_streams_server.log().count("TLS: kernel TLS is") == 1


def test_a_range_of_a_file_over_tls(tls_streams_server, big_file):
    with client(tls_streams_server) as c:
        response = c.get("/file", params={"path": str(big_file)},
                         headers={"Range": "bytes=1000000-2000000"})
    assert response.status_code == 206
    assert response.content == big_file.read_bytes()[1000000:2000001]


def test_pipelined_answers_after_a_file_come_after_it_in_order(tls_streams_server, big_file):
    file_request = rawhttp.get(f"/file?path={big_file}", host="localhost")
    plain = rawhttp.get("/plain", host="localhost")
    with tls_streams_server.connect() as conn:
        conn.send(plain + file_request + plain + file_request + plain)
        responses = conn.read_responses(5)
    assert [r.body for r in responses[::2]] == [b"plain"] * 3
    for r in responses[1::2]:
        assert r.body == big_file.read_bytes()


def test_engine_static_files_over_tls(tls_streams_server):
    with client(tls_streams_server) as c:
        root = c.get("/static-root").text
        site = os.path.join(root, "site")
        data = os.urandom(300_000)
        with open(os.path.join(site, "tls.bin"), "wb") as f:
            f.write(data)
        response = c.get("/static/tls.bin")
    assert response.status_code == 200
    assert response.content == data


def test_a_streamed_response_over_tls(tls_streams_server):
    with client(tls_streams_server) as c:
        response = c.get("/big/4")  # 4 MiB in 64 KiB pieces: lent pieces become output
    assert response.status_code == 200
    assert len(response.content) == 4 * 1024 * 1024


def test_a_streamed_upload_over_tls(tls_streams_server):
    body = os.urandom(3 * 1024 * 1024)
    with client(tls_streams_server) as c:
        response = c.post("/upload/read", content=body)
    assert response.status_code == 200
    assert response.text == str(len(body))


def test_a_slow_reader_gets_every_byte_of_a_file(tls_streams_server, big_file):
    # The client reads in small bites: the server's writes stop and resume
    # on writability (backpressure), the encrypted records intact.
    with tls_streams_server.connect() as conn:
        conn.send(rawhttp.get(f"/file?path={big_file}", host="localhost"))
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.sock.recv(1)
        body = head.split(b"\r\n\r\n", 1)[1]
        while len(body) < big_file.stat().st_size:
            chunk = conn.sock.recv(4096)
            assert chunk, "closed early"
            body += chunk
    assert body == big_file.read_bytes()


# ---- WSS ----------------------------------------------------------------------------------------


def wss(server, path):
    return connect(f"wss://localhost:{server.port}{path}", ssl=server.certs.client_context(),
                   max_size=None)


def test_wss_echo_with_the_websockets_library(tls_ws_server):
    with wss(tls_ws_server, "/echo") as ws:
        ws.send("hello over TLS")
        assert ws.recv() == "hello over TLS"
        big = os.urandom(512 * 1024)
        ws.send(big)
        assert ws.recv() == big


def test_a_websocket_handler_sees_https_and_the_tls_extension(tls_ws_server):
    with wss(tls_ws_server, "/about/lobby") as ws:
        seen = ast.literal_eval(ws.recv())
    assert seen["scheme"] == "https"
    assert seen["tls"]["tls_version"] == 0x0304
    assert seen["room"] == "lobby"
