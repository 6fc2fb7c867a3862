"""tls.py: HTTPS against nginx terminating TLS: server CPU per request in ratios, idle memory.

Usage (from the repo root): python -m bench.tls [--duration 5] [--repeat 3] [--only file]
                            python -m bench.tls --idle [--connections 10000]

nginx (bench/apps/nginx_tls.py: one worker) and Lesto (bench/apps/tls_hello.py)
serve HTTPS with the same ECDSA P-256 certificate and key, made here with
`openssl` (and a CA of its own), the same protocol versions and ciphers, kernel TLS asked for by
both. wrk drives each with 100 connections: `Hello world!` on keep-alive
connections; `Hello world!` with `Connection: close`, so that every request
is a new connection and a full handshake (wrk resumes no session); a 1 MiB
file. The ratio divides Lesto's server CPU per request by nginx's, measured in
the same round. --idle opens N TLS keep-alive connections that each make one
request and stay open, and prints the server's memory growth per connection.
See bench/README.md, "HTTPS".
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.load import free_port
from bench.run import BENCH, CONNECTIONS, WRK, Server, run_wrk, tree_cpu_seconds

APPS = BENCH / "apps"
# (name, server, path, wrk's extra arguments, the reference it is divided by)
TARGETS = [
    ("nginx hello keep-alive", "nginx", "/", (), None),
    ("lesto hello keep-alive", "lesto", "/", (), "nginx hello keep-alive"),
    ("nginx hello, a handshake each", "nginx", "/", ("-H", "Connection: close"), None),
    ("lesto hello, a handshake each", "lesto", "/", ("-H", "Connection: close"),
     "nginx hello, a handshake each"),
    ("nginx 1 MiB file", "nginx", "/static/1m.bin", (), None),
    ("lesto 1 MiB file", "lesto", "/static/1m.bin", (), "nginx 1 MiB file"),
]


def make_certificate(directory: Path) -> tuple[Path, Path, Path]:
    """(certificate, key, CA): an ECDSA P-256 certificate for localhost and 127.0.0.1, valid a
    year, issued by a CA made here as a CA would issue it (server use, a CRL address)."""
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key, request = directory / "cert.pem", directory / "key.pem", directory / "cert.csr"
    extensions = directory / "cert.ext"
    extensions.write_text("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                          "extendedKeyUsage=serverAuth\n"
                          "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                          "crlDistributionPoints=URI:http://localhost/lesto-bench-ca.crl\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for command in (
        ["req", "-x509", *ec, "-subj", "/CN=Lesto bench CA", "-days", "365",
         "-keyout", str(ca_key), "-out", str(ca)],
        ["req", *ec, "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(request)],
        ["x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key),
         "-CAcreateserial", "-days", "365", "-extfile", str(extensions), "-out", str(cert)],
    ):
        subprocess.run(["openssl", *command], check=True, capture_output=True)
    return cert, key, ca


def server_command(name: str) -> tuple[str, ...]:
    app = "nginx_tls.py" if name == "nginx" else "tls_hello.py"
    return (sys.executable, str(APPS / app))


def measure(server_name: str, path: str, extra: tuple[str, ...], duration: int,
            warmup: int) -> tuple[float, float]:
    """(server CPU us per request, requests per second) for one wrk run."""
    port = free_port()
    server = Server(server_command(server_name), port, None)
    url = f"https://127.0.0.1:{port}{path}"
    command = [WRK, "-t1", f"-c{CONNECTIONS}", *extra]
    try:
        server.wait_ready(10.0)
        if warmup:
            run_wrk([*command, f"-d{warmup}s", url], None)
        (before, _), wall = tree_cpu_seconds(server.proc.pid), time.monotonic()
        result = run_wrk([*command, f"-d{duration}s", url], None)
        (after, _), wall = tree_cpu_seconds(server.proc.pid), time.monotonic() - wall
        errors = {k: v for k, v in result.errors.items() if v}
        if errors.get("non-2xx") or errors.get("connect"):
            raise RuntimeError(f"{server_name} {path}: wrk errors {result.errors}")
    finally:
        server.stop()
    return (after - before) * 1e6 / result.requests, result.req_per_s


def compare(args: argparse.Namespace) -> None:
    wanted = {name for name, *_ in TARGETS if args.only in name}
    wanted |= {ref for name, *_, ref in TARGETS if name in wanted and ref}
    targets = [t for t in TARGETS if t[0] in wanted]
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name, *_ in targets}
    for _ in range(args.repeat):
        for name, server_name, path, extra, _ in targets:
            runs[name].append(measure(server_name, path, extra, args.duration, args.warmup))
    cpu = {name: statistics.median(c for c, _ in r) for name, r in runs.items()}
    rate = {name: statistics.median(q for _, q in r) for name, r in runs.items()}
    print(f"| target | req/s | server CPU us/req | ratio to nginx | round ratios |"
          f"  ({args.repeat} rounds, medians)")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, _, _, _, reference in targets:
        if reference is None:
            print(f"| {name} | {rate[name]:,.0f} | {cpu[name]:.1f} | 1 (reference) | |")
            continue
        rounds = sorted(a[0] / b[0] for a, b in zip(runs[name], runs[reference]))
        print(f"| {name} | {rate[name]:,.0f} | {cpu[name]:.1f} | "
              f"{cpu[name] / cpu[reference]:.2f}x | {rounds[0]:.2f}-{rounds[-1]:.2f} |")


# ---- idle connections ------------------------------------------------------------------------


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and its children (nginx's worker is the master's child)."""
    total = 0
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                pids.append(int(entry.name))
    for p in pids:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * resource.getpagesize()
        except OSError:
            pass
    return total


def idle(server_name: str, connections: int) -> float:
    """KiB of server memory per idle TLS keep-alive connection."""
    port = free_port()
    server = Server(server_command(server_name), port, None)
    context = ssl.create_default_context(cafile=os.environ["BENCH_TLS_CA"])
    request = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    conns = []
    try:
        server.wait_ready(10.0)
        time.sleep(0.5)
        before = tree_rss(server.proc.pid)
        for _ in range(connections):
            sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                                       server_hostname="localhost")
            sock.sendall(request)
            conns.append(sock)
        for sock in conns:
            data = b""
            while b"Hello world!" not in data:
                data += sock.recv(4096)
        time.sleep(1.0)
        after = tree_rss(server.proc.pid)
    finally:
        for sock in conns:
            sock.close()
        server.stop()
    per = (after - before) / connections / 1024
    print(f"{server_name}: {connections} idle TLS keep-alive connections: server RSS "
          f"{before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB, {per:.2f} KiB per connection")
    return per


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", default="",
                        help="only the targets whose name contains this (and their references)")
    parser.add_argument("--idle", action="store_true",
                        help="memory per idle TLS keep-alive connection instead of CPU")
    parser.add_argument("--connections", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lesto-bench-tls-") as files:
        os.chmod(files, 0o755)  # nginx's worker runs as an unprivileged user
        cert, key, ca = make_certificate(Path(files))
        os.chmod(key, 0o644)  # nginx reads it as root, then serves as another user
        Path(files, "1m.bin").write_bytes(os.urandom(1024 * 1024))
        os.environ.update(BENCH_TLS_CERT=str(cert), BENCH_TLS_KEY=str(key), BENCH_TLS_CA=str(ca),
                          BENCH_FILES=files)
        if args.idle:
            limit = args.connections + 1000
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))  # the servers inherit it
            for name in ("nginx", "lesto"):
                idle(name, args.connections)
        else:
            compare(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
