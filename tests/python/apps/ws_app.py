"""ws_app: WebSocket routes for the WebSocket tests.

Usage: python ws_app.py PORT. Handlers record what happened to them (messages,
the close code they saw, whether their finally ran) under an id the test
chooses (?id=...), read back with GET /record/{id}.
"""

import asyncio
import os
import sys

import applog

from lesto import Application, WebSocketClosed

# Small limits, so that the tests of them stay cheap; WS_PING: the keep-alive tests' interval.
app = Application(limits={"max_websocket_message": 1024 * 1024},
                  timeouts={"websocket_ping": int(os.environ.get("WS_PING", "20"))})
records = {}


def record(ws):
    key = ws.request.query.get("id", "-")
    return records.setdefault(key, {"received": 0, "sent": 0, "closed": None, "finally": False,
                                    "error": None})


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def recorded_echo(ws):
    r = record(ws)
    try:
        while True:
            message = await ws.receive()
            r["received"] += 1
            await ws.send(message)
    except WebSocketClosed as exc:
        r["closed"] = [exc.code, exc.reason]
    finally:
        r["finally"] = True


async def about(ws):
    # What the handshake's request says, as the handler sees it.
    r = ws.request
    await ws.accept(subprotocol=ws.request.query.get("pick"), headers={"X-Room": r.match_dict["room"]})
    await ws.send(repr({
        "room": r.match_dict["room"], "query": dict(r.query), "origin": r.headers.get("Origin"),
        "offered": list(ws.subprotocols), "subprotocol": ws.subprotocol,
        "cookie": r.cookies.get("who"), "scheme": r.scheme, "tls": r.tls,
    }))
    await ws.receive()


async def refuse(ws):
    return ws.request.Response(code=401, text="who are you?")


async def ignore(ws):
    return None  # neither accepted nor refused: 403


async def fail_early(ws):
    raise RuntimeError("boom before accept")


def not_async(ws):  # a mistake: the handler must be `async def`
    return None


async def fail_late(ws):
    await ws.accept()
    await ws.receive()
    raise RuntimeError("boom after accept")


async def server_close(ws):
    await ws.accept()
    await ws.close(4321, "bye now")


async def flood(ws):
    # Sends as fast as send() lets it; the count shows how far backpressure let it go.
    r = record(ws)
    piece = b"x" * 65536
    try:
        while True:
            await ws.send(piece)
            r["sent"] += 1
    except WebSocketClosed as exc:
        r["closed"] = [exc.code, exc.reason]
    finally:
        r["finally"] = True


async def deaf(ws):
    # Accepts, then never receives: the engine stops reading for it.
    r = record(ws)
    await ws.accept()
    try:
        await asyncio.sleep(3600)
    finally:
        r["finally"] = True


async def get_record(request):
    return request.Response(json={"record": records.get(request.match_dict["key"])})


def plain(request):
    return request.Response(text="plain")


app.router.add_websocket("/echo", echo)
app.router.add_websocket("/recorded", recorded_echo)
app.router.add_websocket("/about/{room}", about)
app.router.add_websocket("/refuse", refuse)
app.router.add_websocket("/ignore", ignore)
app.router.add_websocket("/fail-early", fail_early)
app.router.add_websocket("/not-async", not_async)
app.router.add_websocket("/fail-late", fail_late)
app.router.add_websocket("/server-close", server_close)
app.router.add_websocket("/flood", flood)
app.router.add_websocket("/deaf", deaf)
app.router.add_route("/record/{key}", get_record)
app.router.add_route("/plain", plain)

if __name__ == "__main__":
    applog.setup()
    app.run(host="127.0.0.1", port=int(sys.argv[1]), **applog.run_options())
