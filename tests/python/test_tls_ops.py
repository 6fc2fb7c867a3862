"""HTTPS under a master: the certificate is read again on SIGHUP, and a broken one changes nothing."""

import shutil
import signal
import ssl

import pytest
import rawhttp
from conftest import HOST
from ops_helpers import LESTO, Lesto, killed_after, wait_until

pytestmark = pytest.mark.timeout(120)


def served_certificate(server, certs):
    """The DER certificate a new connection is shown, and the request's answer."""
    with rawhttp.Connection(HOST, server.port, tls=certs.client_context()) as conn:
        cert = conn.sock.getpeercert(binary_form=True)
        conn.send(rawhttp.get("/", host="localhost"))
        assert conn.read_response().status == 200
    return cert


def test_sighup_serves_the_new_certificate_and_keeps_the_old_when_the_new_is_broken(
        certs, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    shutil.copy(certs.cert_file, cert)
    shutil.copy(certs.key_file, key)
    with killed_after() as started:
        server = Lesto([*LESTO, "tls_app:app", "--host", HOST, "--workers", "2",
                        "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)],
                       tmp_path / "lesto.log")
        started.append(server)
        server.start(wait_for="Lesto serving on https://")
        first = served_certificate(server, certs)
        old_workers = server.workers(2)

        # A renewed certificate, written in place as certbot or a secret mount would.
        renewed = certs.ca.issue_cert("localhost", "127.0.0.1")
        renewed.private_key_pem.write_to_path(str(key))
        cert.write_bytes(b"".join(blob.bytes() for blob in renewed.cert_chain_pems))
        server.signal(signal.SIGHUP)
        server.wait_for_log("workers replaced")
        new_workers = server.workers(2)
        assert not new_workers & old_workers
        second = wait_until(lambda: (lambda c: c if c != first else None)(
            served_certificate(server, certs)), "the renewed certificate")
        assert second == ssl.PEM_cert_to_DER_cert(renewed.cert_chain_pems[0].bytes().decode())

        # Half a copy: the master sees it cannot be loaded and replaces no worker.
        cert.write_text(cert.read_text()[:200])
        server.signal(signal.SIGHUP)
        server.wait_for_log("SIGHUP: the workers keep serving with the certificate they loaded; "
                            "the new one cannot be used: ssl_certfile")
        assert server.workers(2) == new_workers
        assert served_certificate(server, certs) == second
        assert server.stop() == 0
    assert not server.problems()


def test_a_broken_certificate_at_startup_exits_1_before_binding(certs, tmp_path):
    broken = tmp_path / "cert.pem"
    broken.write_text("not a certificate\n")
    with killed_after() as started:
        server = Lesto([*LESTO, "tls_app:app", "--host", HOST, "--workers", "2",
                        "--ssl-certfile", str(broken), "--ssl-keyfile", str(certs.key_file)],
                       tmp_path / "lesto.log")
        started.append(server)
        server.start(wait_for=None)
        assert server.wait() == 1
    assert f"cannot serve HTTPS: ssl_certfile '{broken}': no certificate in PEM form found" \
        in server.log()
    assert "Traceback" not in server.log()
