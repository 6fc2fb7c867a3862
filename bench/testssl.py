"""testssl.py: testssl.sh against Lesto's default TLS configuration; its findings by severity.

Usage (from the repo root): python -m bench.testssl [--json FILE]

Serves bench/apps/tls_hello.py with nothing but ssl_certfile and
ssl_keyfile: an ECDSA P-256 certificate from a CA made for the run
(bench/tls.py's make_certificate, as a CA issues one: a year, server use, a
CRL address), runs Debian's testssl.sh (package testssl.sh, command
`testssl`) against it with that CA added to its trust, and prints a
markdown summary: the count of findings per severity, then every finding
rated LOW or above. Findings that only a public certificate would change
(Certificate Transparency, CAA records) are marked. bench/testssl.md
records a run. Exits 1 when a finding is HIGH or CRITICAL.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.load import free_port
from bench.run import BENCH, Server
from bench.tls import make_certificate

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "WARN", "INFO", "OK")
SHOWN = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "WARN")
# Findings about the run's own certificate and CA, which a public certificate changes.
CERTIFICATE_ONLY = ("cert_caIssuers", "cert_ocspURL", "OCSP_stapling", "cert_mustStapleExtension",
                    "cert_certificateTransparency", "DNS_CAArecord")


def run(json_file: Path) -> list[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="lesto-testssl-") as files:
        cert, key, ca = make_certificate(Path(files))
        os.environ.update(BENCH_TLS_CERT=str(cert), BENCH_TLS_KEY=str(key))
        port = free_port()
        server = Server((sys.executable, str(BENCH / "apps" / "tls_hello.py")), port, None)
        try:
            server.wait_ready(10.0)
            json_file.unlink(missing_ok=True)  # testssl.sh refuses to overwrite one
            done = subprocess.run(["testssl", "--quiet", "--color", "0", "--warnings", "off",
                                   "--add-ca", str(ca), "--jsonfile", str(json_file),
                                   f"127.0.0.1:{port}"],
                                  capture_output=True, text=True, check=False, timeout=1800)
        finally:
            server.stop()
    if not json_file.exists():
        raise SystemExit(f"testssl.sh wrote no findings (exit {done.returncode}):\n"
                         f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    findings: list[dict[str, str]] = json.loads(json_file.read_text())
    return findings


def summary(findings: list[dict[str, str]]) -> bool:
    """Print the markdown summary; whether no finding is HIGH or CRITICAL."""
    counts = collections.Counter(f["severity"] for f in findings)
    print("| severity | findings |")
    print("| --- | ---: |")
    for severity in SEVERITIES:
        print(f"| {severity} | {counts.get(severity, 0)} |")
    print()
    print("| id | severity | finding |")
    print("| --- | --- | --- |")
    for f in findings:
        if f["severity"] in SHOWN:
            note = " (the run's own CA)" if f["id"] in CERTIFICATE_ONLY else ""
            print(f"| {f['id']} | {f['severity']} | {f['finding']}{note} |")
    return not any(f["severity"] in ("HIGH", "CRITICAL") for f in findings)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None,
                        help="keep testssl.sh's JSON here (default: a temporary file)")
    parser.add_argument("--from-json", type=Path, default=None,
                        help="summarize this JSON of an earlier run instead of running testssl.sh")
    args = parser.parse_args(argv)
    if args.from_json is not None:
        findings = json.loads(args.from_json.read_text())
    else:
        with tempfile.TemporaryDirectory(prefix="lesto-testssl-json-") as tmp:
            findings = run(args.json or Path(tmp) / "testssl.json")
    return 0 if summary(findings) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
