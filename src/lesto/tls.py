"""HTTPS: the TLS options of app.run, lesto.serve and the command line (uvicorn's names).

The engine speaks TLS itself (lesto._native.TlsContext, OpenSSL below the
HTTP parser): this module only turns the options into one checked value and
loads it. Each worker loads the files when it starts, so a SIGHUP's new
workers serve the certificate on disk then; the master loads them first and
keeps the running workers when that fails.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Union

from . import _native

if TYPE_CHECKING:
    import ssl

CERT_REQS = ("none", "optional", "required")
MIN_VERSIONS = ("TLSv1.2", "TLSv1.3")
DEFAULT_MIN_VERSION = "TLSv1.2"

PathArg = Union[str, "os.PathLike[str]"]


class TlsError(ValueError):
    """The TLS options cannot be used; the message says what to fix."""


@dataclasses.dataclass(frozen=True)
class TlsOptions:
    """What a TLS listener serves with; see `options` for each one's meaning."""

    certfile: str
    keyfile: str | None = None
    keyfile_password: str | None = dataclasses.field(default=None, repr=False)
    ca_certs: str | None = None
    cert_reqs: str = "none"
    ciphers: str | None = None
    min_version: str = DEFAULT_MIN_VERSION

    def load(self) -> _native.TlsContext:
        """Read the certificate and key (and CA file) into a context; TlsError saying what to fix."""
        try:
            return _native.TlsContext(self.certfile, keyfile=self.keyfile,
                                      password=self.keyfile_password, ca_certs=self.ca_certs,
                                      cert_reqs=self.cert_reqs, ciphers=self.ciphers,
                                      min_version=self.min_version)
        except ValueError as exc:
            raise TlsError(str(exc)) from None


def cert_reqs_name(value: str | int) -> str:
    """'none', 'optional' or 'required', from that name or Python's ssl.CERT_* (uvicorn's int)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(CERT_REQS):
        return CERT_REQS[int(value)]  # ssl.CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED are 0, 1, 2
    if isinstance(value, str):
        name = value.strip().lower().removeprefix("cert_")
        if name in CERT_REQS:
            return name
        if name in ("0", "1", "2"):
            return CERT_REQS[int(name)]
    raise TlsError(f"ssl_cert_reqs must be 'none', 'optional' or 'required' (or ssl.CERT_NONE, "
                   f"CERT_OPTIONAL, CERT_REQUIRED), not {value!r}")


def min_version_name(value: str | ssl.TLSVersion) -> str:
    """'TLSv1.2' or 'TLSv1.3', from that name, '1.2', '1.3' or ssl.TLSVersion's name."""
    # ssl.TLSVersion is a str-less enum: its name says it ("TLSv1_2").
    text = value if isinstance(value, str) else getattr(value, "name", "")
    text = text.strip().lower().replace("_", ".")
    for name in MIN_VERSIONS:
        if text in (name.lower(), name[len("TLSv"):]):
            return name
    raise TlsError(f"ssl_min_version must be 'TLSv1.2' or 'TLSv1.3' (older versions are not "
                   f"safe), not {value!r}")


def options(ssl_certfile: PathArg | None = None, ssl_keyfile: PathArg | None = None,
            ssl_keyfile_password: str | None = None, ssl_ca_certs: PathArg | None = None,
            ssl_cert_reqs: str | int = "none", ssl_ciphers: str | None = None,
            ssl_min_version: str | ssl.TLSVersion = DEFAULT_MIN_VERSION) -> TlsOptions | None:
    """The TLS options as app.run takes them, checked; None without a certificate (plain HTTP).

    ssl_certfile: PEM, the server's certificate followed by its chain;
    ssl_keyfile: its private key (None: in ssl_certfile), encrypted with
    ssl_keyfile_password if any; ssl_ca_certs: PEM, the CAs that client
    certificates are checked against, with ssl_cert_reqs 'optional' or
    'required' (mutual TLS); ssl_ciphers: TLS 1.2 ciphers in OpenSSL's
    syntax (default: ECDHE with AES-GCM or ChaCha20-Poly1305; TLS 1.3 has
    its own, all modern); ssl_min_version: 'TLSv1.2' (default) or 'TLSv1.3'.
    Raises TlsError for an option that cannot be right whatever the files say.
    """
    reqs = cert_reqs_name(ssl_cert_reqs)
    version = min_version_name(ssl_min_version)
    if ssl_certfile is None:
        given = [name for name, value in (("ssl_keyfile", ssl_keyfile),
                                          ("ssl_keyfile_password", ssl_keyfile_password),
                                          ("ssl_ca_certs", ssl_ca_certs),
                                          ("ssl_ciphers", ssl_ciphers)) if value is not None]
        if reqs != "none":
            given.append("ssl_cert_reqs")
        if version != DEFAULT_MIN_VERSION:
            given.append("ssl_min_version")
        if given:
            raise TlsError(f"{', '.join(given)} given without ssl_certfile: HTTPS needs the "
                           "server's certificate (ssl_certfile) and key (ssl_keyfile)")
        return None
    return TlsOptions(
        certfile=os.fspath(ssl_certfile),
        keyfile=None if ssl_keyfile is None else os.fspath(ssl_keyfile),
        keyfile_password=ssl_keyfile_password,
        ca_certs=None if ssl_ca_certs is None else os.fspath(ssl_ca_certs),
        cert_reqs=reqs, ciphers=ssl_ciphers, min_version=version)


def scheme(tls: TlsOptions | None) -> str:
    """The URL scheme a listener with these options serves, for log lines."""
    return "http" if tls is None else "https"
