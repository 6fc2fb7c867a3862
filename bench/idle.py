"""idle.py: server memory per idle connection: HTTP keep-alive or WebSocket (see bench/README.md).

Starts a server, opens N connections that each do one exchange and then stay
open and idle, and prints the growth of the server's resident memory (its
process tree) per connection. One connection does the same exchange first
and is closed before the baseline, so what a server sets up once is not
counted per connection.

  --protocol http  bench/apps/hello.py; each connection sends one request and
                   reads its answer (target: at most 3 KiB each)
  --protocol ws    bench/apps/ws_echo.py, the Lesto WebSocket route (--asgi:
                   bench/apps/asgi_ws_echo.py on Lesto's ASGI front-end); each
                   connection does the opening handshake and echoes --messages
                   32-byte text messages (default 1; 0: the handshake only).
                   --deflate offers permessage-deflate as browsers do
                   ("permessage-deflate; client_max_window_bits"), or as
                   --deflate OFFER says, and sends the messages compressed
                   as agreed, so that the server holds its zlib streams
                   (target: at most 4 KiB each, issue 17)

--settle S waits S seconds (default 1) before measuring, answering the
server's pings: a WebSocket quiet for a ping interval (20 s) is pinged, and
parks its zlib streams (bench/README.md, "WebSockets").

Usage (from the repo root):
  python -m bench.idle [--connections N] [--protocol http|ws] [--asgi] [--deflate [OFFER]]
                       [--messages K] [--settle S]
"""

from __future__ import annotations

import argparse
import re
import resource
import socket
import sys
import time
import zlib

from bench.asgi import lesto_asgi
from bench.load import DEFLATE_OFFER, free_port, parse_frame, read_frame, read_head, ws_frame, ws_upgrade
from bench.memory import tree_rss_kib
from bench.run import BENCH, Server

MESSAGE = b"an idle WebSocket's one message."  # 32 bytes of text


def compressed_messages(count: int, agreed: bytes) -> list[bytes]:
    """The payloads of `count` messages, compressed as the server's Sec-WebSocket-Extensions
    `agreed` (RFC 7692 7.2.1: a sync flush, less its 00 00 ff ff): every connection sends
    the same ones."""
    bits = re.search(rb"client_max_window_bits=(\d+)", agreed)
    wbits = -max(9, int(bits.group(1))) if bits else -15  # zlib has no raw window of 8 bits
    fresh = b"client_no_context_takeover" in agreed
    deflate = zlib.compressobj(6, zlib.DEFLATED, wbits)
    out = []
    for _ in range(count):
        if fresh:
            deflate = zlib.compressobj(6, zlib.DEFLATED, wbits)
        out.append((deflate.compress(MESSAGE) + deflate.flush(zlib.Z_SYNC_FLUSH))[:-4])
    return out


class Exchange:
    """What each connection does before it goes idle, in steps over all the connections at
    once (all send, then all read), so that 10,000 of them take seconds, not minutes."""

    def __init__(self, args: argparse.Namespace, port: int):
        self.args, self.port = args, port
        self.agreed = ""  # the server's Sec-WebSocket-Extensions
        self.pending: list[bytes] = []  # what each WebSocket read past its last frame

    def open(self, count: int) -> list[socket.socket]:
        conns = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", self.port))
            conns.append(sock)
        if self.args.protocol == "http":
            request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode()
            for sock in conns:
                sock.sendall(request)
            for sock in conns:
                data = b""
                while b"Hello world!" not in data:
                    chunk = sock.recv(4096)
                    if not chunk:
                        raise RuntimeError("the server closed an HTTP connection")
                    data += chunk
            return conns
        accepts = []
        for sock in conns:
            request, accept = ws_upgrade(self.port, offer=self.args.deflate)
            sock.sendall(request)
            accepts.append(accept)
        pending, agreed = [], b""
        for sock, accept in zip(conns, accepts):
            fields, rest = read_head(sock, accept)
            agreed = fields.get(b"sec-websocket-extensions", b"")
            if self.args.deflate and not agreed.startswith(b"permessage-deflate"):
                raise RuntimeError(f"the server did not agree to permessage-deflate: {fields!r}")
            pending.append(rest)
        self.agreed = agreed.decode()
        compressed = compressed_messages(self.args.messages, agreed) if self.args.deflate else []
        for i in range(self.args.messages):
            frame = ws_frame(compressed[i], compressed=True) if compressed else ws_frame(MESSAGE)
            for sock in conns:
                sock.sendall(frame)
            for n, sock in enumerate(conns):
                first, payload, pending[n] = read_frame(sock, pending[n])
                # An echo: text, FIN; RSV1 when compressed (its payload is not inflated here:
                # 10,000 inflaters would cost the client 320 MB).
                if first != (0xC1 if compressed else 0x81) or (not compressed and payload != MESSAGE):
                    raise RuntimeError(f"not the echo: first byte {first:#x}, payload {payload[:40]!r}")
        self.pending = pending
        return conns

    def settle(self, conns: list[socket.socket], seconds: float) -> None:
        """Wait, answering the server's pings as a browser does: a WebSocket quiet for an
        interval is pinged (Lesto: every 20 s) and closed if it does not answer."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(1.0, left))
            if self.args.protocol != "ws":
                continue
            for n, sock in enumerate(conns):
                try:
                    chunk = sock.recv(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue
                if not chunk:
                    raise RuntimeError("the server closed an idle WebSocket")
                data = self.pending[n] + chunk
                while (frame := parse_frame(data)) is not None:
                    first, payload, data = frame
                    if first & 0x0F == 0x9:
                        sock.sendall(ws_frame(payload, opcode=0xA))
                    elif first & 0x0F == 0x8:
                        raise RuntimeError(f"the server closed an idle WebSocket: {payload!r}")
                self.pending[n] = data


def command(args: argparse.Namespace) -> tuple[str, ...]:
    if args.protocol == "http":
        return (sys.executable, str(BENCH / "apps" / "hello.py"))
    if args.asgi:
        return lesto_asgi("bench.apps.asgi_ws_echo:app")
    return (sys.executable, "-m", "bench.apps.ws_echo")


def describe(args: argparse.Namespace, agreed: str) -> str:
    if args.protocol == "http":
        return "idle keep-alive connections"
    front = "Lesto's ASGI front-end" if args.asgi else "the Lesto API"
    deflate = f", offered {args.deflate!r}, agreed {agreed!r}" if args.deflate else ""
    return f"idle WebSockets ({front}{deflate}, {args.messages} message(s) echoed each)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--protocol", choices=("http", "ws"), default="http")
    parser.add_argument("--asgi", action="store_true", help="ws: Lesto's ASGI front-end")
    parser.add_argument("--deflate", nargs="?", const=DEFLATE_OFFER, metavar="OFFER",
                        help=f"ws: offer permessage-deflate (default {DEFLATE_OFFER!r}), "
                        "send compressed messages")
    parser.add_argument("--messages", type=int, default=1, help="ws: messages echoed before idling")
    parser.add_argument("--settle", type=float, default=1.0, metavar="S",
                        help="seconds idle before measuring (default 1; ws: pings are answered)")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    args = parser.parse_args()
    if args.protocol == "http" and (args.asgi or args.deflate):
        parser.error("--asgi and --deflate are for --protocol ws")
    if args.messages < 0 or args.connections < 1:
        parser.error("--messages must not be negative, --connections must be positive")
    files = args.connections + 1000
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))  # inherited by the server
    port = args.port or free_port()
    server = Server(command(args), port, None)
    exchange = Exchange(args, port)
    conns: list[socket.socket] = []
    try:
        try:
            server.wait_ready(20.0)
            for sock in exchange.open(1):  # the first connection's one-time costs
                sock.close()
            time.sleep(0.5)
            before = tree_rss_kib(server.proc.pid)
            conns = exchange.open(args.connections)
            exchange.settle(conns, args.settle)
            after = tree_rss_kib(server.proc.pid)
        except RuntimeError as exc:
            raise SystemExit(f"idle.py: {exc}\n{server.log_tail()}") from None
    finally:
        for sock in conns:
            sock.close()
        server.stop()
    per = (after - before) / args.connections
    print(f"{args.connections} {describe(args, exchange.agreed)}: server RSS {before / 1024:.1f} MiB -> "
          f"{after / 1024:.1f} MiB, {per:.2f} KiB per connection")


if __name__ == "__main__":
    main()
