"""streams_app: Response(stream=...) and Response(file=...) for the streaming tests.

Usage: python streams_app.py PORT. Producers record what happened to them
(pieces produced, finally blocks run, close() called) under an id the test
chooses (?id=...), read back with GET /record/{id}.
"""

import asyncio
import contextlib
import hashlib
import os
import sys
import tempfile

import applog

import lesto
from lesto import Application

# Streamed uploads up to 32 MiB: big enough for the pacing tests, small enough to test the 413.
app = Application(limits={"max_stream_body_bytes": 32 * 1024 * 1024})
records = {}  # id -> {"produced": pieces, "finally": bool, "closed": bool, "cancelled": bool}
PIECE = 64 * 1024


def record(request):
    key = request.query.get("id", "-")
    return records.setdefault(key, {"produced": 0, "finally": False, "closed": False,
                                    "cancelled": False, "done": False})


async def counted(request, n, size=None, delay=0.0):
    """n pieces ("piece i\\n", or `size` bytes each), counted in the request's record."""
    r = record(request)
    try:
        for i in range(n):
            r["produced"] += 1
            yield (b"%d" % (i % 10)) * size if size else f"piece {i}\n"
            if delay:
                await asyncio.sleep(delay)
            else:
                await asyncio.sleep(0)
    except asyncio.CancelledError:
        r["cancelled"] = True
        raise
    finally:
        r["finally"] = True


async def unwaiting(request, n, size, wait_at):
    """n pieces of `size` bytes made without waiting, so the engine feeds them
    itself, except one real wait before piece `wait_at` (-1: none; n: after
    the last); under a
    timeout held across pieces where asyncio has one (3.11), as a producer
    with a deadline would. Records whether every piece had a current task."""
    r = record(request)
    r["task"] = True
    try:
        async with contextlib.AsyncExitStack() as stack:
            if hasattr(asyncio, "timeout"):
                await stack.enter_async_context(asyncio.timeout(30))
            for i in range(n):
                if i == wait_at:
                    await asyncio.sleep(0.05)
                r["task"] = r["task"] and asyncio.current_task() is not None
                r["produced"] += 1
                yield bytes([ord("a") + i % 26]) * size
            if wait_at == n:  # a wait after the last piece: the end comes to the Task
                await asyncio.sleep(0.05)
    finally:
        r["finally"] = True


def unwaiting_sync(request, n, size):
    """`unwaiting`'s pieces from a sync generator."""
    r = record(request)
    try:
        for i in range(n):
            r["produced"] += 1
            yield bytes([ord("a") + i % 26]) * size
    finally:
        r["finally"] = True


def eager(request):
    n, size = int(request.match_dict["n"]), int(request.query.get("size", "1000"))
    if request.query.get("sync"):
        return request.Response(stream=unwaiting_sync(request, n, size))
    wait_at = int(request.query.get("wait_at", "-1"))
    return request.Response(stream=unwaiting(request, n, size, wait_at))


class ClosableIterator:
    """A sync iterator that records its close()."""

    def __init__(self, request, n):
        self.r, self.n, self.i = record(request), n, 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.i >= self.n:
            raise StopIteration
        self.i += 1
        self.r["produced"] += 1
        return b"x" * PIECE

    def close(self):
        self.r["closed"] = True


class AsyncPieces:
    """An async iterator that is not a generator, with an aclose() it records."""

    def __init__(self, request, n):
        self.r, self.n, self.i = record(request), n, 0

    def __aiter__(self):
        return self

    async def __anext__(self):
        if self.i >= self.n:
            raise StopAsyncIteration
        self.i += 1
        self.r["produced"] += 1
        return f"piece {self.i - 1}\n"

    async def aclose(self):
        await asyncio.sleep(0)
        self.r["closed"] = True


def async_pieces(request):
    return request.Response(stream=AsyncPieces(request, int(request.match_dict["n"])))


def chunks(request):
    return request.Response(stream=counted(request, int(request.match_dict["n"])),
                            mime_type="text/plain")


def sync_pieces(request):
    return request.Response(stream=ClosableIterator(request, int(request.match_dict["n"])))


def declared(request):
    n = int(request.match_dict["n"])
    length = request.query.get("length", str(len("".join(f"piece {i}\n" for i in range(n)))))
    return request.Response(stream=counted(request, n), headers={"Content-Length": length})


def big(request):
    mib = int(request.match_dict["mib"])
    return request.Response(stream=counted(request, mib * 16, size=PIECE))


def slow(request):
    return request.Response(stream=counted(request, 10**9, delay=0.02))


def failing(request):
    after = int(request.match_dict["after"])

    async def gen():
        for i in range(after):
            yield f"piece {i}\n"
        raise RuntimeError("the producer broke on purpose")

    return request.Response(stream=gen())


def with_callback(request):
    request.add_done_callback(lambda req: record(req).__setitem__("done", True))
    return request.Response(stream=counted(request, 3))


async def async_handler(request):
    await asyncio.sleep(0.01)
    return request.Response(stream=counted(request, 2))


def events(request):
    async def gen():
        for i in range(int(request.match_dict["n"])):
            yield f"data: {i}\n\n"
            await asyncio.sleep(0.1)

    return request.Response(stream=gen(), mime_type="text/event-stream",
                            headers={"Cache-Control": "no-cache"})


def held(request):
    """After `wait` seconds, `count` pieces of `kib` KiB given at once, then a
    long pause (the client leaves first)."""
    kib, count = int(request.match_dict["kib"]), int(request.query.get("count", "1"))
    wait = float(request.query.get("wait", "0"))

    async def gen():
        await asyncio.sleep(wait)
        for i in range(count):
            yield bytes([ord("a") + i % 26]) * (kib * 1024)
        await asyncio.sleep(60)

    return request.Response(stream=gen())


async def upload(request):
    """Reads the body as it streams: its size, piece count and SHA-256."""
    digest, size, count = hashlib.sha256(), 0, 0
    delay = float(request.query.get("delay", "0"))
    r = record(request)
    try:
        async for piece in request.stream():
            digest.update(piece)
            size += len(piece)
            count += 1
            r["produced"] = size
            if delay:
                await asyncio.sleep(delay)
    except lesto.ClientDisconnected as exc:  # the body cannot be read to its end
        r["error"] = str(exc)
        return request.Response(text="the client left", code=400)
    except asyncio.CancelledError:  # the client left: the handler is cancelled, as any
        r["error"] = "cancelled"
        raise
    return request.Response(json={"size": size, "pieces": count, "sha256": digest.hexdigest()})


def upload_echo(request):
    return request.Response(stream=request.stream())


def upload_ignored(request):
    return request.Response(text="not read")


def upload_body(request):
    return request.Response(text=str(len(request.body)))


async def read_all(request):
    return request.Response(text=str(len(await request.read())))


def get_record(request):
    return request.Response(json={"record": records.get(request.match_dict["id"])})


def serve_file(request):
    code = int(request.query.get("code", "200"))
    return request.Response(file=request.query["path"], code=code)


# A folder the tests fill: below it /static/ is served by the engine, with an index.
STATIC_ROOT = tempfile.mkdtemp(prefix="lesto-static-")
os.makedirs(os.path.join(STATIC_ROOT, "site"))
app.router.add_static("/static/", os.path.join(STATIC_ROOT, "site"), index=True,
                      cache_control="public, max-age=60")


def static_root(request):
    return request.Response(text=STATIC_ROOT)


app.router.add_route("/chunks/{n}", chunks)
app.router.add_route("/sync/{n}", sync_pieces)
app.router.add_route("/eager/{n}", eager)
app.router.add_route("/async-iterator/{n}", async_pieces)
app.router.add_route("/declared/{n}", declared)
app.router.add_route("/big/{mib}", big)
app.router.add_route("/slow", slow)
app.router.add_route("/held/{kib}", held)
app.router.add_route("/failing/{after}", failing)
app.router.add_route("/callback", with_callback)
app.router.add_route("/async", async_handler)
app.router.add_route("/events/{n}", events)
app.router.add_route("/record/{id}", get_record)
app.router.add_route("/file", serve_file)
app.router.add_route("/static-root", static_root)
app.router.add_route("/upload", upload, stream_body=True)
app.router.add_route("/upload/echo", upload_echo, stream_body=True)
app.router.add_route("/upload/ignored", upload_ignored, stream_body=True)
app.router.add_route("/upload/body", upload_body, stream_body=True)
app.router.add_route("/upload/read", read_all, stream_body=True)
app.router.add_route("/read", read_all)
app.router.add_route("/plain", lambda request: request.Response(text="plain"))

if __name__ == "__main__":
    applog.setup()
    app.run(host="127.0.0.1", port=int(sys.argv[1]), **applog.run_options())
