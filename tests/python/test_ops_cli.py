"""The `lesto` command: every option on a real server, and clear errors for bad app specs."""

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import APPS_DIR, HOST
from ops_helpers import LESTO, WAIT, Lesto, killed_after, wait_until

CONSOLE_SCRIPT = [sys.executable, str(Path(sys.executable).parent / "lesto")]
OPTIONS = ("--host", "--port", "--workers", "--reload", "--reload-dir", "--debug", "--log-level",
           "--access-log", "--no-access-log", "--proxy-headers", "--forwarded-allow-ips",
           "--grace-period", "--worker-num", "--script", "--version")
# client "METHOD PATH HTTP/x" status bytes seconds
ACCESS_LINE = re.compile(r'lesto\.access INFO (\S+) "(\S+) (\S+) HTTP/1\.1" (\d+) (\d+) (\d+\.\d+)$',
                         re.MULTILINE)


def run_cli(*args, command=LESTO):
    return subprocess.run([*command, *args], cwd=APPS_DIR, capture_output=True, text=True,
                          timeout=WAIT, stdin=subprocess.DEVNULL)


@pytest.fixture
def lesto(tmp_path):
    """lesto(*args) -> a started in-process `lesto ops_app:app --host 127.0.0.1 *args`."""
    with killed_after() as started:
        def start(*args, spec="ops_app:app", wait_for="Lesto serving on"):
            server = Lesto([*LESTO, spec, "--host", HOST, *args], tmp_path / f"{len(started)}.log")
            started.append(server)
            server.start(wait_for=wait_for)
            if wait_for is None:
                wait_until(lambda: answers(server), "the server to answer")
            return server

        yield start


def answers(server):
    try:
        return server.get("/").status == 200
    except OSError:
        return False


def access_lines(server):
    return ACCESS_LINE.findall(server.log())


@pytest.mark.parametrize("command", [LESTO, CONSOLE_SCRIPT], ids=["python -m lesto", "lesto"])
def test_help_lists_every_option(command):
    result = run_cli("--help", command=command)
    assert result.returncode == 0
    for option in OPTIONS:
        assert option in result.stdout
    assert "module:attribute" in result.stdout


@pytest.mark.parametrize("args, code, message", [
    (["nosuchmodule:app"], 1, "cannot import 'nosuchmodule': no module named 'nosuchmodule'"),
    (["nosuchpackage.sub:app"], 1, "no module named 'nosuchpackage'"),
    (["ops_app:missing"], 1, "module 'ops_app' has no attribute 'missing'"),
    (["ops_app.missing"], 1, "module 'ops_app' has no attribute 'missing'"),
    (["ops_app:not_an_app"], 1, "'ops_app:not_an_app' is 'int': neither a lesto.Application nor "
     "an ASGI app"),
    (["ops_app:not_an_app", "--interface", "lesto"], 1,
     "'ops_app:not_an_app' is 'int', not a lesto.Application"),
    (["ops_app"], 2, "app 'ops_app' must look like 'module:attribute'"),
    (["ops_app:"], 2, "must look like 'module:attribute'"),
    (["nosuchmodule:app", "--reload"], 1, "no module named 'nosuchmodule'"),
    (["ops_app:app", "--workers", "0"], 2, "--workers/--worker-num: must be 1 or more"),
    (["ops_app:app", "--worker-num", "0"], 2, "--workers/--worker-num: must be 1 or more"),
    (["ops_app:app", "--grace-period", "-1"], 2, "--grace-period: must be 0 or more"),
    (["ops_app:app", "--log-level", "loud"], 2, "--log-level: invalid choice"),
    (["ops_app:app", "--forwarded-allow-ips", "10.0.0.1,proxy"], 2,
     "'proxy' is not an IP address or network"),
    ([], 2, "the following arguments are required: app"),
])
@pytest.mark.parametrize("command", [LESTO, CONSOLE_SCRIPT], ids=["python -m lesto", "lesto"])
def test_bad_command_lines_say_what_is_wrong_without_a_traceback(command, args, code, message):
    result = run_cli(*args, command=command)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_port_in_use_is_an_error_message(tmp_path):
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = taken.getsockname()[1]
        for workers in ([], ["--workers", "2"]):
            result = run_cli("ops_app:app", "--host", HOST, "--port", str(port), *workers)
            assert result.returncode == 1
            assert f"cannot listen on {HOST}:{port}" in result.stderr
            assert "Traceback" not in result.stderr


def test_host_port_and_japronto_spelling(lesto):
    server = lesto(spec="ops_app.app")
    assert server.get("/").body == b"hello"
    assert f"Lesto serving on http://{HOST}:{server.port} (1 worker, pid {server.pid})" \
        in server.log()
    assert server.stop() == 0
    assert "stopped" in server.log()


def test_access_log_lines_tell_client_request_status_bytes_and_duration(lesto):
    server = lesto("--access-log")
    pid_body = server.get("/pid?x=1").body
    assert server.get("/missing").status == 404
    assert server.get("/slow/20").status == 200
    wait_until(lambda: len(access_lines(server)) == 3, "three access lines")
    (client, method, path, status, size, seconds), missing, slow = access_lines(server)
    assert (client, method, path, int(status), int(size)) == (HOST, "GET", "/pid", 200,
                                                              len(pid_body))
    assert missing[2:4] == ("/missing", "404")
    assert slow[2:4] == ("/slow/20", "200") and float(slow[5]) > 0
    assert server.stop() == 0


def test_no_access_log_by_default(lesto):
    server = lesto()
    server.get("/")
    server.stop()
    assert access_lines(server) == []


def test_debug_shows_tracebacks_and_logs_access_unless_told_not_to(lesto):
    server = lesto("--debug")
    response = server.get("/error")
    assert response.status == 500 and b"ZeroDivisionError" in response.body
    wait_until(lambda: access_lines(server), "an access line")
    server.stop()

    quiet = lesto("--debug", "--no-access-log")
    assert b"ZeroDivisionError" in quiet.get("/error").body
    quiet.stop()
    assert access_lines(quiet) == []
    assert "ZeroDivisionError" in quiet.log()  # still logged to lesto.error


def test_log_level_sets_lestos_level(lesto):
    server = lesto("--log-level", "warning", "--access-log", wait_for=None)
    server.get("/")
    assert server.get("/error").status == 500
    wait_until(lambda: "unhandled exception" in server.log(), "the error to be logged")
    assert server.stop() == 0
    log = server.log()
    assert "Lesto serving on" not in log  # INFO
    assert access_lines(server) == []  # INFO too


def test_grace_period_option(lesto):
    server = lesto("--grace-period", "7.5")
    server.signal(signal.SIGTERM)
    assert server.wait() == 0
    assert "stopping gracefully (grace period 7.5 s)" in server.log()


def test_proxy_headers_from_a_trusted_peer(lesto):
    forwarded = [("X-Forwarded-For", "198.51.100.1, 203.0.113.7"), ("X-Forwarded-Proto", "https")]
    server = lesto("--proxy-headers", "--access-log")
    assert server.get("/addr", forwarded).json() == {
        "remote_addr": "203.0.113.7", "scheme": "https",
        "forwarded_for": "198.51.100.1, 203.0.113.7"}
    assert server.get("/addr").json()["remote_addr"] == HOST
    wait_until(lambda: len(access_lines(server)) == 2, "two access lines")
    assert [line[0] for line in access_lines(server)] == ["203.0.113.7", HOST]
    server.stop()


@pytest.mark.parametrize("args", [[], ["--proxy-headers", "--forwarded-allow-ips", "10.0.0.1"]],
                         ids=["off", "peer not trusted"])
def test_proxy_headers_ignored(lesto, args):
    server = lesto(*args)
    answer = server.get("/addr", [("X-Forwarded-For", "203.0.113.7"),
                                  ("X-Forwarded-Proto", "https")]).json()
    assert (answer["remote_addr"], answer["scheme"]) == (HOST, "http")
    server.stop()


def test_forwarded_allow_ips_takes_networks_and_star(lesto):
    for allow in ("10.0.0.0/8,127.0.0.0/8", "*"):
        server = lesto("--proxy-headers", "--forwarded-allow-ips", allow)
        answer = server.get("/addr", [("X-Forwarded-For", "203.0.113.7")]).json()
        assert answer["remote_addr"] == "203.0.113.7"
        server.stop()
