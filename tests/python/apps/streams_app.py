"""streams_app: Response(stream=...) and Response(file=...) for the streaming tests.

Usage: python streams_app.py PORT. Producers record what happened to them
(pieces produced, finally blocks run, close() called) under an id the test
chooses (?id=...), read back with GET /record/{id}.
"""

import asyncio
import sys

import applog

from lesto import Application

app = Application()
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


def get_record(request):
    return request.Response(json={"record": records.get(request.match_dict["id"])})


def serve_file(request):
    return request.Response(file=request.query["path"])


app.router.add_route("/chunks/{n}", chunks)
app.router.add_route("/sync/{n}", sync_pieces)
app.router.add_route("/declared/{n}", declared)
app.router.add_route("/big/{mib}", big)
app.router.add_route("/slow", slow)
app.router.add_route("/failing/{after}", failing)
app.router.add_route("/callback", with_callback)
app.router.add_route("/async", async_handler)
app.router.add_route("/events/{n}", events)
app.router.add_route("/record/{id}", get_record)
app.router.add_route("/file", serve_file)
app.router.add_route("/plain", lambda request: request.Response(text="plain"))

if __name__ == "__main__":
    applog.setup()
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
