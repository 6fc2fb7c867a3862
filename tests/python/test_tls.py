"""HTTPS in the engine, with real clients: Python's ssl and httpx, curl, openssl s_client.

Certificates are made for the session (tls_helpers, trustme). Each server
here is a real process serving apps/tls_app.py with the ssl_* options of
app.run; what the engine says about a failed handshake is a debug line of
its log, and the connection is closed while others are served.
"""

import json
import os
import socket
import ssl
import subprocess
import sys
import time

import httpx
import pytest
import rawhttp
import tls_helpers
from conftest import APPS_DIR, HOST, TlsServerProcess, free_port
from ops_helpers import WAIT, wait_until

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def tls_server(certs, tmp_path):
    """tls_server(**ssl_options) -> a started tls_app serving HTTPS with the session's certificate."""
    started = []

    def start(app="tls_app", env=None, **options):
        server = TlsServerProcess(app, "uvloop", tmp_path, certs, **options)
        server.extra_env = {**server.extra_env, **(env or {})}
        server.start()
        started.append(server)
        return server

    yield start
    problems = []
    for server in started:
        problems += server.stop()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def url(server, path="/"):
    return f"https://localhost:{server.port}{path}"


def get_json(server, context=None, path="/"):
    with rawhttp.Connection(HOST, server.port, tls=context or server.context) as conn:
        conn.send(rawhttp.get(path, host="localhost"))
        response = conn.read_response()
    assert response.status == 200, response
    return response.json()


def refused(server, context):
    """Whether a client with `context` is refused: the handshake, or the first read, fails."""
    try:
        with rawhttp.Connection(HOST, server.port, tls=context) as conn:
            conn.send(rawhttp.get("/", host="localhost"))
            conn.read_response()
    except (ssl.SSLError, ConnectionError, rawhttp.ProtocolError):
        return True
    return False


def logged(server, text):
    """Wait until the server's log holds `text` (its debug lines come a moment after the event)."""
    return wait_until(lambda: text in server.log(), f"{text!r} in the log:\n{server.log()}")


# ---- serving HTTPS ----------------------------------------------------------------------------


def test_httpx_gets_https_and_the_request_knows_its_tls(tls_server, certs):
    server = tls_server()
    with httpx.Client(verify=certs.client_context()) as client:
        response = client.get(url(server))
        again = client.get(url(server))  # the same connection, kept alive
    assert response.status_code == 200
    assert response.http_version == "HTTP/1.1"
    seen = response.json()
    assert seen["scheme"] == "https"
    assert seen["tls"]["tls_version"] == 0x0304  # TLS 1.3, what both ends prefer
    assert seen["tls"]["cipher_suite"] in (0x1301, 0x1302, 0x1303)
    assert seen["tls"]["client_cert_name"] is None
    assert seen["tls"]["client_cert_chain"] == []
    assert again.json() == seen


def test_curl_with_the_test_ca(tls_server, certs):
    server = tls_server()
    result = subprocess.run(["curl", "-sS", "--cacert", str(certs.ca_file), url(server)],
                            capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["scheme"] == "https"


def s_client(server, *args, request=None):
    """openssl s_client against the server; its output (stdout and stderr) and exit code."""
    data = request if request is not None else ""
    result = subprocess.run(["openssl", "s_client", "-connect", f"{HOST}:{server.port}",
                             "-servername", "localhost", *args],
                            input=data, capture_output=True, text=True, timeout=WAIT)
    return result.stdout + result.stderr, result.returncode


def test_openssl_s_client_handshake_alpn_and_a_request(tls_server, certs):
    server = tls_server()
    out, code = s_client(server, "-CAfile", str(certs.ca_file), "-alpn", "h2,http/1.1",
                         "-ign_eof",
                         request="GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert code == 0, out
    assert "Verify return code: 0 (ok)" in out
    assert "ALPN protocol: http/1.1" in out  # h2 offered first, HTTP/1.1 chosen
    assert "TLSv1.3" in out
    assert "HTTP/1.1 200 OK" in out and '"scheme":"https"' in out


def test_a_client_offering_only_h2_is_refused(tls_server, certs):
    server = tls_server()
    context = certs.client_context()
    context.set_alpn_protocols(["h2"])
    assert refused(server, context)
    logged(server, "no application protocol")


def test_tls_1_2_is_served_with_a_modern_cipher(tls_server, certs):
    server = tls_server()
    seen = get_json(server, certs.client_context(maximum=ssl.TLSVersion.TLSv1_2))
    assert seen["tls"]["tls_version"] == 0x0303
    # ECDHE with AES-GCM or ChaCha20-Poly1305 (the key is ECDSA): c02b, c02c, cca9.
    assert seen["tls"]["cipher_suite"] in (0xC02B, 0xC02C, 0xCCA9)


def test_tls_1_1_is_refused(tls_server):
    server = tls_server()
    # SECLEVEL=0: the client's own OpenSSL would otherwise not even offer TLS 1.1.
    out, code = s_client(server, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    assert code != 0, out
    assert "alert protocol version" in out, out
    logged(server, "unsupported protocol")
    assert get_json(server)["scheme"] == "https"  # others are served all along


def test_min_version_tls_1_3_refuses_tls_1_2(tls_server, certs):
    server = tls_server(ssl_min_version="TLSv1.3")
    assert refused(server, certs.client_context(maximum=ssl.TLSVersion.TLSv1_2))
    assert get_json(server)["tls"]["tls_version"] == 0x0304


def test_pipelined_requests_over_tls_are_answered_in_order(tls_server):
    server = tls_server()
    with server.connect() as conn:
        conn.send(rawhttp.get("/", host="localhost") * 50)
        responses = conn.read_responses(50)
    assert [r.status for r in responses] == [200] * 50


# ---- mutual TLS ---------------------------------------------------------------------------------


def test_mutual_tls_required_accepts_a_client_of_the_ca(tls_server, certs):
    server = tls_server(ssl_ca_certs=str(certs.ca_file), ssl_cert_reqs="required")
    seen = get_json(server, certs.client_context(client_cert=certs.client_file))
    tls = seen["tls"]
    assert tls["client_cert_name"] == certs.client_subject
    # What the client sent, its own certificate first (as the cryptography package reads
    # them); Python's client sends the CA after it, from its store (OpenSSL's auto-chaining).
    sent = tls_helpers.der_list(tls["client_cert_chain"])
    assert sent[0] == certs.client_chain[0]
    assert sent[1:] in ([], tls_helpers.der_list(certs.ca_file.read_text()))
    assert tls["client_cert_error"] is None


def test_mutual_tls_required_refuses_a_client_without_a_certificate(tls_server, certs):
    server = tls_server(ssl_ca_certs=str(certs.ca_file), ssl_cert_reqs="required")
    assert refused(server, certs.client_context())
    logged(server, "peer did not return a certificate")
    assert get_json(server, certs.client_context(client_cert=certs.client_file))


def test_mutual_tls_refuses_a_certificate_of_another_ca(tls_server, certs):
    server = tls_server(ssl_ca_certs=str(certs.ca_file), ssl_cert_reqs="required")
    assert refused(server, certs.client_context(client_cert=certs.stranger_file))
    logged(server, "certificate verify failed: unable to get local issuer certificate")


def test_mutual_tls_optional_serves_clients_with_and_without(tls_server, certs):
    server = tls_server(ssl_ca_certs=str(certs.ca_file), ssl_cert_reqs="optional")
    assert get_json(server)["tls"]["client_cert_name"] is None
    with_cert = get_json(server, certs.client_context(client_cert=certs.client_file))
    assert with_cert["tls"]["client_cert_name"] == certs.client_subject
    assert refused(server, certs.client_context(client_cert=certs.stranger_file))


# ---- failed handshakes close one connection, never the others -----------------------------------


def raw_socket(server):
    sock = socket.create_connection((HOST, server.port), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def closed_by_server(sock):
    """Read until the server closes; True at EOF or a reset, whatever came before."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def test_plain_http_to_the_tls_port_is_closed_and_logged(tls_server):
    server = tls_server()
    with raw_socket(server) as sock:
        sock.sendall(rawhttp.get("/"))
        assert closed_by_server(sock)
    logged(server, "plain HTTP sent to the TLS port")
    assert get_json(server)["scheme"] == "https"


def test_garbage_to_the_tls_port_is_closed_and_logged(tls_server):
    server = tls_server()
    with raw_socket(server) as sock:
        sock.sendall(bytes(range(256)) * 4)
        assert closed_by_server(sock)
    logged(server, "TLS handshake with 127.0.0.1:")
    assert get_json(server)["scheme"] == "https"


def client_hello(certs):
    """The first flight of a real TLS client: its ClientHello's bytes."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = certs.client_context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def test_a_client_stalling_mid_handshake_is_closed_by_the_timeout(tls_server, certs):
    server = tls_server()  # tls_app: a one-second handshake timeout
    hello = client_hello(certs)
    with raw_socket(server) as stalled:
        stalled.sendall(hello[: len(hello) // 2])
        # Meanwhile others are served, one after another.
        for _ in range(3):
            assert get_json(server)["scheme"] == "https"
        started = time.monotonic()
        assert closed_by_server(stalled)
        assert time.monotonic() - started < WAIT
    logged(server, "no handshake within the tls_handshake timeout")


def test_a_client_that_connects_and_says_nothing_is_closed_too(tls_server):
    server = tls_server()
    with raw_socket(server) as silent:
        assert closed_by_server(silent)
    logged(server, "no handshake within the tls_handshake timeout")


def test_a_client_refusing_the_servers_certificate_disturbs_no_one(tls_server, certs):
    server = tls_server()
    stranger = ssl.create_default_context()  # trusts the system's CAs, not the test CA
    assert refused(server, stranger)
    logged(server, "alert unknown ca")
    wrong_name = certs.client_context()
    with pytest.raises(ssl.SSLCertVerificationError):
        rawhttp.Connection(HOST, server.port, tls=wrong_name, server_hostname="example.org")
    assert get_json(server)["scheme"] == "https"


# ---- configuration ------------------------------------------------------------------------------


def run_app(certs, tmp_path, **options):
    """tls_app with `options` on a free port: (exit code, output) once it stopped by itself."""
    env = {**os.environ, **tls_helpers.tls_env(certs.server_options(**options))}
    result = subprocess.run([sys.executable, str(APPS_DIR / "tls_app.py"), str(free_port())],
                            capture_output=True, text=True, timeout=WAIT, env=env,
                            stdin=subprocess.DEVNULL)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("options, message", [
    (lambda c: {"ssl_certfile": "/nonexistent/cert.pem"},
     "ssl_certfile '/nonexistent/cert.pem': No such file or directory"),
    (lambda c: {"ssl_keyfile": "/nonexistent/key.pem"},
     "ssl_keyfile '/nonexistent/key.pem': No such file or directory"),
    (lambda c: {"ssl_certfile": str(c.key_file)}, "no certificate in PEM form found"),
    (lambda c: {"ssl_keyfile": str(c.other_key_file)}, "is not the key of the certificate"),
    (lambda c: {"ssl_keyfile": str(c.encrypted_key_file)},
     "is encrypted: give its password (ssl_keyfile_password)"),
    (lambda c: {"ssl_keyfile": str(c.encrypted_key_file), "ssl_keyfile_password": "wrong"},
     "cannot decrypt it with ssl_keyfile_password"),
    (lambda c: {"ssl_cert_reqs": "required"}, "ssl_cert_reqs=required needs ssl_ca_certs"),
    (lambda c: {"ssl_ca_certs": str(c.key_file), "ssl_cert_reqs": "optional"},
     "no CA certificate in PEM form found"),
    (lambda c: {"ssl_ciphers": "NOT-A-CIPHER"}, "no cipher OpenSSL knows matches"),
], ids=["missing cert", "missing key", "not a cert", "key mismatch", "no password",
        "wrong password", "required without CA", "CA not a cert", "bad ciphers"])
def test_bad_configuration_fails_at_startup_saying_what_to_fix(certs, tmp_path, options, message):
    code, out = run_app(certs, tmp_path, **options(certs))
    assert code == 1, out
    assert f"cannot serve HTTPS: {message}" in out or message in out, out
    assert "Traceback" not in out


@pytest.mark.parametrize("options, message", [
    ({"ssl_cert_reqs": "sometimes"}, "ssl_cert_reqs must be 'none', 'optional' or 'required'"),
    ({"ssl_min_version": "TLSv1.1"}, "ssl_min_version must be 'TLSv1.2' or 'TLSv1.3'"),
])
def test_bad_option_values_raise_from_run(certs, tmp_path, options, message):
    code, out = run_app(certs, tmp_path, **options)
    assert code != 0
    assert message in out, out


def test_an_encrypted_key_with_its_password_and_a_combined_file_serve(tls_server, certs):
    encrypted = tls_server(ssl_keyfile=str(certs.encrypted_key_file),
                           ssl_keyfile_password=tls_helpers.KEY_PASSWORD)
    assert get_json(encrypted)["scheme"] == "https"
    combined = tls_server(ssl_certfile=str(certs.combined_file), ssl_keyfile=None)
    assert get_json(combined)["scheme"] == "https"


def test_a_plain_client_of_a_plain_server_sees_http_and_no_tls(echo_server):
    with echo_server.connect() as conn:
        conn.send(rawhttp.get("/"))
        seen = conn.read_response().json()
    assert (seen["scheme"], seen["tls"]) == ("http", None)


# ---- ASGI and WebSockets over TLS ------------------------------------------------------------


def test_asgi_scope_says_https_and_carries_the_tls_extension(tls_server, certs):
    server = tls_server(app="asgi_app", ssl_ca_certs=str(certs.ca_file), ssl_cert_reqs="optional")
    scope = get_json(server, certs.client_context(client_cert=certs.client_file), "/scope")
    assert scope["scheme"] == "https"
    tls = scope["extensions"]["tls"]
    assert tls["client_cert_name"] == certs.client_subject
    assert tls["tls_version"] == 0x0304
    assert tls["server_cert"] is None
    assert "http.response.pathsend" in scope["extensions"]  # the template's own are kept
    plain_client = get_json(server, path="/scope")
    assert plain_client["extensions"]["tls"]["client_cert_name"] is None


def test_asgi_websocket_scope_says_wss(tls_server, certs):
    from websockets.sync.client import connect

    server = tls_server(app="asgi_app")
    with connect(f"wss://localhost:{server.port}/ws-scope", ssl=certs.client_context()) as ws:
        scope = json.loads(ws.recv())
    assert scope["scheme"] == "wss"
    assert scope["extensions"]["tls"]["tls_version"] == 0x0304


# ---- a plain and a TLS port in one process ---------------------------------------------------


def test_one_engine_serves_a_plain_and_a_tls_port_side_by_side(certs, tmp_path):
    plain, secure = free_port(), free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           **tls_helpers.tls_env(certs.server_options())}
    log = tmp_path / "dual.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(APPS_DIR / "dual_app.py"), str(plain),
                                 str(secure)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "serving" in log.read_text() or proc.poll() is not None,
                   "dual_app to serve")
        with rawhttp.Connection(HOST, plain) as conn:
            conn.send(rawhttp.get("/"))
            assert conn.read_response().json() == {"scheme": "http"}
        with rawhttp.Connection(HOST, secure, tls=certs.client_context()) as conn:
            conn.send(rawhttp.get("/", host="localhost"))
            assert conn.read_response().json() == {"scheme": "https"}
        with pytest.raises((ssl.SSLError, ConnectionError)):  # TLS to the plain port: a 400
            rawhttp.Connection(HOST, plain, tls=certs.client_context())
    finally:
        proc.terminate()
        proc.wait(WAIT)
    assert "Traceback" not in log.read_text()
