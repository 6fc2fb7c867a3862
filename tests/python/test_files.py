"""Response(file=...) and add_static over real sockets: sendfile, validators, ranges, traversal."""

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from rawhttp import get


@pytest.fixture
def site(streams_server):
    """The static folder the streams app serves at /static/, emptied after each test."""
    with streams_server.connect() as conn:
        conn.send(get("/static-root"))
        root = Path(conn.read_response().body.decode())
    site = root / "site"
    yield site
    for p in sorted(site.rglob("*"), reverse=True):
        p.unlink() if p.is_file() or p.is_symlink() else p.rmdir()
    for p in root.iterdir():
        if p.name != "site":
            p.unlink()


def curl(server, *args):
    url = f"http://{server.host}:{server.port}"
    out = subprocess.run(["curl", "-s", "-i", "--path-as-is", *[a.replace("URL", url) for a in args]],
                         capture_output=True, check=True).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def test_a_static_file_with_its_type_validators_and_cache_control(streams_server, site):
    (site / "app.css").write_text("body { color: red }\n")
    status, headers, body = curl(streams_server, "URL/static/app.css")
    assert (status, body) == (200, b"body { color: red }\n")
    assert headers["Content-Type"] == "text/css; charset=utf-8"
    assert headers["Cache-Control"] == "public, max-age=60"
    assert headers["Accept-Ranges"] == "bytes"
    assert headers["ETag"].startswith('"') and headers["Last-Modified"].endswith("GMT")


def test_a_megabyte_file_arrives_whole(streams_server, site):
    data = os.urandom(3 * 1024 * 1024 + 17)
    (site / "big.bin").write_bytes(data)
    status, headers, body = curl(streams_server, "URL/static/big.bin")
    assert status == 200 and body == data
    assert headers["Content-Type"] == "application/octet-stream"


def test_ranges(streams_server, site):
    (site / "digits.txt").write_bytes(b"0123456789")
    status, headers, body = curl(streams_server, "--range", "2-4", "URL/static/digits.txt")
    assert (status, body, headers["Content-Range"]) == (206, b"234", "bytes 2-4/10")
    status, headers, body = curl(streams_server, "--range", "-3", "URL/static/digits.txt")
    assert (status, body) == (206, b"789")
    status, headers, _ = curl(streams_server, "--range", "20-", "URL/static/digits.txt")
    assert (status, headers["Content-Range"]) == (416, "bytes */10")
    status, _, body = curl(streams_server, "-H", "Range: pages=1-2", "URL/static/digits.txt")
    assert (status, body) == (200, b"0123456789")  # malformed: ignored
    status, _, body = curl(streams_server, "--range", "0-1,5-6", "URL/static/digits.txt")
    assert (status, body) == (200, b"0123456789")  # several ranges: the whole file


def test_conditional_requests_give_304(streams_server, site):
    path = site / "page.html"
    path.write_text("<p>hi</p>")
    _, headers, _ = curl(streams_server, "URL/static/page.html")
    status, _, body = curl(streams_server, "-H", f"If-None-Match: {headers['ETag']}",
                           "URL/static/page.html")
    assert (status, body) == (304, b"")
    status, _, body = curl(streams_server, "-z", str(path), "URL/static/page.html")
    assert (status, body) == (304, b"")  # curl -z: If-Modified-Since the file's own date
    old = time.time() - 3600
    os.utime(path, (old, old))
    status, _, _ = curl(streams_server, "-z", "1 Jan 2000", "URL/static/page.html")
    assert status == 200


def test_head_and_other_methods(streams_server, site):
    (site / "a.txt").write_text("abc")
    status, headers, body = curl(streams_server, "-I", "URL/static/a.txt")
    assert (status, headers["Content-Length"], body) == (200, "3", b"")
    status, headers, _ = curl(streams_server, "-X", "DELETE", "URL/static/a.txt")
    assert (status, headers["Allow"]) == (405, "GET, HEAD")


TRAVERSALS = [
    "/static/../streams_app.py",
    "/static/%2e%2e/secret.txt",
    "/static/%2E%2e/secret.txt",
    "/static/..%2fsecret.txt",
    "/static/sub%2f..%2f..%2fsecret.txt",
    "/static/..%5csecret.txt",
    "/static/..\\secret.txt",
    "/static/a.txt%00.html",
    "/static//etc/passwd",
    "/static/%2fetc/passwd",
    "/static/%c0%ae%c0%ae/secret.txt",
    "/static/.hidden",
    "/static/out",
    "/static/sub",
    "/static/missing.txt",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_the_folder_can_be_read(streams_server, site, path):
    (site.parent / "secret.txt").write_text("SECRET")
    (site / "a.txt").write_text("public")
    (site / ".hidden").write_text("SECRET")
    (site / "sub").mkdir()
    (site / "out").symlink_to(site.parent / "secret.txt")
    with streams_server.connect() as conn:
        conn.send(get(path) + get("/static/a.txt"))
        refused, after = conn.read_responses(2)
    assert refused.status == 404
    assert b"SECRET" not in refused.body
    assert after.body == b"public"  # the connection goes on


def test_a_symlink_inside_the_folder_is_followed(streams_server, site):
    (site / "real.txt").write_text("real")
    (site / "link.txt").symlink_to("real.txt")
    assert curl(streams_server, "URL/static/link.txt")[2] == b"real"


def test_a_folder_serves_its_index(streams_server, site):
    (site / "docs").mkdir()
    (site / "docs" / "index.html").write_text("<h1>docs</h1>")
    status, headers, body = curl(streams_server, "URL/static/docs/")
    assert (status, body) == (200, b"<h1>docs</h1>")
    assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_response_file_with_validators_and_an_own_code(streams_server, site):
    path = site / "report.json"
    path.write_text('{"a": 1}')
    status, headers, body = curl(streams_server, f"URL/file?path={path}")
    assert (status, body, headers["Content-Type"]) == (200, b'{"a": 1}', "application/json")
    status, _, _ = curl(streams_server, "-H", f"If-None-Match: {headers['ETag']}",
                        f"URL/file?path={path}")
    assert status == 304
    status, _, body = curl(streams_server, f"URL/file?path={path}&code=404")
    assert (status, body) == (404, b'{"a": 1}')


def test_a_missing_file_is_404_and_logged(streams_server, site):
    streams_server.expect_traceback("nothing-here")
    status, _, _ = curl(streams_server, f"URL/file?path={site}/nothing-here")
    assert status == 404
    assert "nothing-here" in streams_server.log()


def test_a_file_that_shrinks_while_sent_closes_the_connection(streams_server, site):
    streams_server.expect_traceback("shrank")
    path = site / "shrinking.bin"
    path.write_bytes(b"x" * (64 * 1024 * 1024))
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.connect((streams_server.host, streams_server.port))
    sock.settimeout(10)
    try:
        sock.sendall(get("/static/shrinking.bin"))
        got = sock.recv(65536)
        assert b"Content-Length: 67108864" in got
        os.truncate(path, 1024 * 1024)  # the file shrinks while it is being sent
        while chunk := sock.recv(1 << 20):
            got += chunk
    finally:
        sock.close()
    assert len(got) < 64 * 1024 * 1024  # cut short, then closed: no hang
    assert "shrank" in streams_server.log()


def test_a_slow_reader_with_curl_limit_rate(streams_server, site):
    data = os.urandom(2 * 1024 * 1024)
    (site / "slow.bin").write_bytes(data)
    status, _, body = curl(streams_server, "--limit-rate", "4M", "URL/static/slow.bin")
    assert status == 200 and body == data
