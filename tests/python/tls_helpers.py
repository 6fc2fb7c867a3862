"""tls_helpers: certificates made at test time (trustme), client contexts, test apps over TLS.

No key is ever committed: each test session makes a CA, a server certificate
for localhost and 127.0.0.1 (ECDSA P-256, trustme's default), client
certificates from that CA and from an unknown one, and writes them to files
as a deployment would have them.
"""

import dataclasses
import json
import ssl
from pathlib import Path

import rawhttp
import trustme

TLS_ENV = "TEST_TLS"  # apps/applog.run_options reads app.run's ssl_* options from it
KEY_PASSWORD = "correct horse"


@dataclasses.dataclass
class Certs:
    """The files of one test session's certificates, and the CA that issued them."""

    ca: trustme.CA
    ca_file: Path  # the CA certificate: what clients trust, and what checks client certificates
    cert_file: Path  # the server's certificate and chain
    key_file: Path
    encrypted_key_file: Path  # the same key under KEY_PASSWORD
    combined_file: Path  # key, certificate and chain in one file
    client_file: Path  # a client certificate of `ca` ("alice") with its key
    stranger_file: Path  # a client certificate of another CA
    other_key_file: Path  # a key of another certificate

    @property
    def client_subject(self):
        """The client certificate's subject as RFC 4514 writes it, by the cryptography package."""
        from cryptography import x509

        return x509.load_pem_x509_certificate(self.client_file.read_bytes()).subject \
            .rfc4514_string()

    @property
    def client_chain(self):
        """The certificates in the client's file, in order, as DER."""
        return der_list(self.client_file.read_text())

    def client_context(self, *, client_cert=None, maximum=None, minimum=None):
        """A client that trusts the test CA, showing `client_cert` (a file) if given."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if client_cert is not None:
            context.load_cert_chain(str(client_cert))
        if maximum is not None:
            context.maximum_version = maximum
        if minimum is not None:
            context.minimum_version = minimum
        return context

    def server_options(self, **more):
        """app.run's ssl_* options for the test server certificate, plus `more`."""
        return {"ssl_certfile": str(self.cert_file), "ssl_keyfile": str(self.key_file), **more}


def make_certs(directory):
    directory = Path(directory)
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    paths = {name: directory / f"{name}.pem" for name in (
        "ca", "cert", "key", "encrypted_key", "combined", "client", "stranger", "other_key")}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    server.private_key_pem.write_to_path(str(paths["key"]))
    paths["cert"].write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    server.private_key_and_cert_chain_pem.write_to_path(str(paths["combined"]))
    paths["encrypted_key"].write_bytes(encrypted(server.private_key_pem.bytes()))
    ca.issue_cert("alice@example.org", common_name="alice",
                  organization_name="Example").private_key_and_cert_chain_pem.write_to_path(
        str(paths["client"]))
    trustme.CA().issue_cert("mallory@example.org", common_name="mallory") \
        .private_key_and_cert_chain_pem.write_to_path(str(paths["stranger"]))
    ca.issue_cert("other.example").private_key_pem.write_to_path(str(paths["other_key"]))
    return Certs(ca=ca, ca_file=paths["ca"], cert_file=paths["cert"], key_file=paths["key"],
                 encrypted_key_file=paths["encrypted_key"], combined_file=paths["combined"],
                 client_file=paths["client"], stranger_file=paths["stranger"],
                 other_key_file=paths["other_key"])


def encrypted(key_pem):
    """`key_pem` encrypted with KEY_PASSWORD, as `openssl pkey -aes256` writes it."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(key_pem, password=None)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(KEY_PASSWORD.encode()))


def tls_env(options):
    """The environment that makes a test app (applog.run_options) serve with these options."""
    return {TLS_ENV: json.dumps(options)}


class TlsClientMixin:
    """For a ServerProcess whose app serves HTTPS: its clients speak TLS with `context`."""

    context = None

    def connect(self):
        return rawhttp.Connection(self.host, self.port, tls=self.context)


def der_list(pems):
    """The certificates of PEM text (or of a list of PEM texts), as DER bytes."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    text = pems if isinstance(pems, str) else "".join(pems)
    return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(
        text.encode()[text.index("-----BEGIN CERTIFICATE-----"):])]
