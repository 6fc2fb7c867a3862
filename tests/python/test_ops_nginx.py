"""Lesto behind a real nginx (the README's deployment): responses, client address, upstream keep-alive.

nginx runs from a generated configuration in a temporary directory (pid,
logs and temp files there, `daemon off`), on a free local port, in front of
`lesto --workers 2 --proxy-headers`. Clients connect from 127.0.0.2 so that
the client's address differs from the proxy's (127.0.0.1).
"""

import os
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest
import rawhttp
from conftest import HOST, free_port
from ops_helpers import LESTO, WAIT, Lesto, wait_until

NGINX = Path("/usr/sbin/nginx")
CLIENT = "127.0.0.2"  # any 127/8 address is local on Linux

pytestmark = pytest.mark.skipif(
    not NGINX.exists(), reason="nginx is not installed (Debian: apt-get install nginx-light, "
                               "as scripts/setup.sh does)")

CONFIG = """
daemon off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log notice;
{user}
events {{ worker_connections 128; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;

    upstream lesto {{
        server 127.0.0.1:{lesto_port};
        keepalive 16;
    }}
    server {{
        listen {HOST}:{port};
        location / {{
            proxy_pass http://lesto;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@pytest.fixture
def lesto(tmp_path):
    server = Lesto([*LESTO, "ops_app:app", "--host", HOST, "--workers", "2", "--proxy-headers",
                    "--access-log"], tmp_path / "lesto.log")
    server.start()
    yield server
    if server.proc.poll() is None:
        server.kill()


@pytest.fixture
def nginx(tmp_path, lesto):
    directory = tmp_path / "nginx"
    directory.mkdir()
    port = free_port()
    # As root, nginx's workers would run as nobody, who cannot write here.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(CONFIG.format(dir=directory, user=user, lesto_port=lesto.port, port=port,
                                  HOST=HOST))
    log = open(directory / "stdout.log", "wb")
    proc = subprocess.Popen([str(NGINX), "-p", str(directory), "-c", str(conf),
                             "-e", str(directory / "error.log")],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

    def up():
        if proc.poll() is not None:
            raise AssertionError(f"nginx exited with {proc.returncode}:\n"
                                 f"{(directory / 'stdout.log').read_text()}\n"
                                 f"{(directory / 'error.log').read_text()}")
        try:
            return get(port, "/").status == 200
        except OSError:
            return False

    wait_until(up, "nginx to proxy to lesto")
    yield port
    proc.send_signal(signal.SIGQUIT)  # nginx's graceful stop
    try:
        proc.wait(WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(WAIT)
    log.close()


class ClientConnection(rawhttp.Connection):
    """A rawhttp connection from CLIENT's address."""

    def __init__(self, port):
        self.sock = socket.create_connection((HOST, port), timeout=rawhttp.TIMEOUT,
                                             source_address=(CLIENT, 0))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.eof = False
        self.reset = False


def get(port, path, headers=()):
    """GET on a fresh connection from CLIENT, the way a remote client comes."""
    with ClientConnection(port) as conn:
        conn.send(rawhttp.get(path, headers))
        return conn.read_response()


def established_to(port):
    """How many TCP connections to 127.0.0.1:`port` are established (from /proc/net/tcp)."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote, state = fields[2], fields[3]
        if remote == f"0100007F:{port:04X}" and state == "01":
            count += 1
    return count


def test_responses_and_client_address_through_nginx(nginx, lesto):
    assert get(nginx, "/").body == b"hello"
    assert get(nginx, "/addr").json() == {
        "remote_addr": CLIENT, "scheme": "http", "forwarded_for": CLIENT}
    # What the client claims itself is kept left of what nginx appends: ignored.
    spoofed = get(nginx, "/addr", [("X-Forwarded-For", "6.6.6.6")]).json()
    assert spoofed["forwarded_for"] == f"6.6.6.6, {CLIENT}"
    assert spoofed["remote_addr"] == CLIENT
    assert get(nginx, "/missing").status == 404
    wait_until(lambda: lesto.log().count(f'lesto.access INFO {CLIENT} "GET /') >= 4,
               "Lesto's access lines with the client's address")


def test_nginx_keeps_its_upstream_connections_alive(nginx, lesto):
    for _ in range(10):
        assert get(nginx, "/pid").status == 200
    # Every answer is in, and connections from nginx to Lesto stay open for the next ones.
    assert established_to(lesto.port) >= 1


def test_sighup_behind_nginx_fails_no_request(nginx, lesto):
    old = lesto.workers(2)
    results = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            try:
                response = get(nginx, "/pid")
                results.append((response.status, response.body))
            except (OSError, AssertionError) as exc:
                results.append((None, repr(exc)))

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    try:
        wait_until(lambda: len(results) >= 20, "requests before the swap")
        lesto.signal(signal.SIGHUP)
        lesto.wait_for_log("workers replaced")
        count = len(results)
        wait_until(lambda: len(results) >= count + 20, "requests after the swap")
    finally:
        stop.set()
        thread.join(WAIT)
    assert [r for r in results if r[0] != 200] == []
    assert not lesto.workers() & old
