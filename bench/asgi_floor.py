"""asgi_floor.py: an ASGI app's own CPU time per request, with no server: the app part of bench.asgi's floor.

Usage (from the repo root): python -m bench.asgi_floor MODULE:APP PATH [--seconds S] [--batches K]

Imports the app and calls it over and over, in one event loop (uvloop when
installed, as every measured server uses), with the scope a server would
build for wrk's request (`GET PATH HTTP/1.1` with only a Host header) and
receive/send coroutines that do nothing. The scope is built once and copied
for each call, because frameworks add keys to it. The first call's response
must be a 200 with a body, so a broken app is not timed. Prints one JSON
line: the median over K batches of CPU µs per call (time.process_time), and
each batch's figure. See bench/README.md, "ASGI servers".
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import statistics
import sys
import time

REQUEST = {"type": "http.request", "body": b"", "more_body": False}


def load(target: str):
    module, _, attribute = target.partition(":")
    if not module or not attribute:
        sys.exit(f"asgi_floor.py: the app is MODULE:ATTRIBUTE, got {target!r}")
    return getattr(importlib.import_module(module), attribute)


def scope_for(path: str) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8080")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
        "extensions": {},
    }


async def receive() -> dict:
    return REQUEST


async def send(message: dict) -> None:
    pass


async def calls(app, scope: dict, count: int) -> None:
    for _ in range(count):
        await app(scope.copy(), receive, send)


async def first_response(app, scope: dict) -> tuple[int, bytes]:
    sent: list[dict] = []

    async def record(message: dict) -> None:
        sent.append(message)

    await app(scope.copy(), receive, record)
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), 0)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def measure(app, path: str, seconds: float, batches: int) -> dict:
    scope = scope_for(path)
    loop = new_loop()
    try:
        status, body = loop.run_until_complete(first_response(app, scope))
        if status != 200 or not body:
            sys.exit(f"asgi_floor.py: {path} answered {status} with {body[:80]!r}, not a 200 with a body")
        # Warm up (caches, the first calls' lazy setup) and size the batches from it.
        count, start = 0, time.process_time()
        while time.process_time() - start < seconds / batches:
            loop.run_until_complete(calls(app, scope, 100))
            count += 100
        per_batch = max(100, count)
        figures = []
        for _ in range(batches):
            start = time.process_time()
            loop.run_until_complete(calls(app, scope, per_batch))
            figures.append((time.process_time() - start) * 1e6 / per_batch)
    finally:
        loop.close()
    return {
        "us_per_call": statistics.median(figures),
        "batches": figures,
        "calls": per_batch,
        "body": len(body),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", help="MODULE:APP, imported from the working directory")
    parser.add_argument("path", help="the request path in the scope")
    parser.add_argument(
        "--seconds", type=float, default=1.0, help="CPU seconds of measured calls (default 1)"
    )
    parser.add_argument("--batches", type=int, default=5, help="batches, the median is reported (default 5)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.batches < 1:
        parser.error("--seconds must be positive and --batches at least 1")
    sys.path.insert(0, "")  # the working directory, as `python -m` and the servers do
    print(json.dumps(measure(load(args.app), args.path, args.seconds, args.batches)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
