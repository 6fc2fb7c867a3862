"""asgi_app: a raw ASGI 3 app for the ASGI front-end's socket-level tests (test_asgi.py).

Usage: python asgi_app.py PORT. What the app saw or suffered is recorded
under an id the test chooses (?id=...) and read back with GET /record/{id}.
"""

import asyncio
import hashlib
import json
import os
import sys
import weakref
from urllib.parse import parse_qs

import applog

import lesto
from lesto import _native

records = {}


def record(scope):
    key = parse_qs(scope["query_string"].decode()).get("id", ["-"])[0]
    return records.setdefault(key, {})


def query(scope, name, default):
    return parse_qs(scope["query_string"].decode()).get(name, [default])[0]


async def reply(send, status, body, content_type=b"text/plain", headers=()):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), *headers]})
    await send({"type": "http.response.body", "body": body})


async def read_body(receive):
    body, messages = b"", 0
    while True:
        message = await receive()
        assert message["type"] == "http.request", message
        body += message.get("body", b"")
        messages += 1
        if not message.get("more_body"):
            return body, messages


async def lifespan(scope, receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            scope["state"]["started"] = "yes"
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            print("lifespan shutdown ran", flush=True)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await lifespan(scope, receive, send)
    path = scope["path"]
    handler = ROUTES.get(path) or ROUTES.get("/" + path.split("/")[1])
    if handler is None:
        return await reply(send, 404, b"no such route")
    await handler(scope, receive, send)


async def show_scope(scope, receive, send):
    shown = {key: value for key, value in scope.items() if key not in ("headers",)}
    shown["state"] = dict(scope["state"])  # as it came, before this request adds to it
    shown["headers"] = [[n.decode("latin-1"), v.decode("latin-1")] for n, v in scope["headers"]]
    for key in ("raw_path", "query_string"):
        shown[key] = scope[key].decode("latin-1")
    scope["state"]["touched"] = True  # a copy per request: the next one must not see it
    await reply(send, 200, json.dumps(shown).encode(), b"application/json")


async def echo(scope, receive, send):
    body, messages = await read_body(receive)
    await reply(send, 200, body, headers=[(b"x-messages", str(messages).encode()),
                                          (b"x-sha256", hashlib.sha256(body).hexdigest().encode())])


async def slow_read(scope, receive, send):
    """Reads the body one message per 20 ms: the client must be held back, not buffered."""
    size, messages = 0, 0
    while True:
        message = await receive()
        size += len(message.get("body", b""))
        messages += 1
        if not message.get("more_body"):
            break
        await asyncio.sleep(0.02)
    await reply(send, 200, json.dumps({"size": size, "messages": messages}).encode())


async def stream(scope, receive, send):
    n = int(scope["path"].split("/")[2])
    length = query(scope, "length", None)
    headers = [(b"content-type", b"text/plain")]
    if length is not None:
        headers.append((b"content-length", length.encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for i in range(n):
        await send({"type": "http.response.body", "body": b"piece %d\n" % i, "more_body": True})
        if query(scope, "sleep", None):
            await asyncio.sleep(0)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def endless(scope, receive, send):
    """Streams until the client goes; records what send() raised."""
    r = record(scope)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    try:
        while True:
            await send({"type": "http.response.body", "body": b"x" * 65536, "more_body": True})
            await asyncio.sleep(0.001)
    except OSError as exc:
        r["send_raised"] = type(exc).__name__
        r["is_oserror"] = isinstance(exc, OSError)


async def flood(scope, receive, send):
    """Sends as fast as send() lets it, counting: a client that does not read must hold it back."""
    r = record(scope)
    r["sent"] = 0
    await send({"type": "http.response.start", "status": 200, "headers": []})
    piece = b"f" * 65536
    try:
        while r["sent"] < 1 << 30:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            r["sent"] += len(piece)
        await send({"type": "http.response.body", "body": b""})
    except OSError:
        r["gone"] = True


async def wait_disconnect(scope, receive, send):
    """Starts a body, then waits on receive(): http.disconnect once the client has gone."""
    r = record(scope)
    await read_body(receive)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"waiting\n", "more_body": True})
    r["next"] = (await receive())["type"]


async def after_response(scope, receive, send):
    """receive() after the whole response: http.disconnect at once."""
    r = record(scope)
    await read_body(receive)
    await reply(send, 200, b"done")
    r["next"] = (await receive())["type"]


async def background(scope, receive, send):
    """Answers, then keeps working: the work must finish whatever the client does."""
    r = record(scope)
    await reply(send, 200, b"answered")
    await asyncio.sleep(0.05)
    r["background"] = "finished"


async def pathsend(scope, receive, send):
    assert "http.response.pathsend" in scope["extensions"]
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/octet-stream")]})
    await send({"type": "http.response.pathsend", "path": os.environ["ASGI_TEST_FILE"]})


async def head_length(scope, receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"11"), (b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD"
                else b"hello world"})


async def waits(scope, receive, send):
    """Answers after a real wait: pipelined answers must still come in order."""
    await asyncio.sleep(float(query(scope, "for", "0.05")))
    await reply(send, 200, scope["path"].encode())


async def raise_before(scope, receive, send):
    raise ValueError("the app broke before answering")


async def raise_after(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise ValueError("the app broke mid-body")


async def no_response(scope, receive, send):
    return None


async def bad_header(scope, receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"x-evil", b"a\r\nSet-Cookie: stolen=1")]})
    await send({"type": "http.response.body", "body": b"never"})


async def double_start(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.start", "status": 200, "headers": []})


async def body_first(scope, receive, send):
    await send({"type": "http.response.body", "body": b"too early"})


async def wrong_length(scope, receive, send):
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"100")]})
    await send({"type": "http.response.body", "body": b"short"})


async def str_body(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": "not bytes"})


async def close_after(scope, receive, send):
    await reply(send, 200, b"bye", headers=[(b"connection", b"close")])


# ---- the websocket scope ----------------------------------------------------------------


async def ws_echo(scope, receive, send):
    r = record(scope)
    assert (await receive())["type"] == "websocket.connect"
    offered = scope["subprotocols"]
    await send({"type": "websocket.accept", "subprotocol": offered[0] if offered else None,
                "headers": [(b"x-scope-type", scope["type"].encode())]})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            r["disconnect"] = [message["code"], message.get("reason", "")]
            try:
                await send({"type": "websocket.send", "text": "too late"})
            except OSError as exc:
                r["send_after"] = type(exc).__name__
            return
        if message.get("text") == "close please":
            await send({"type": "websocket.close", "code": 4001, "reason": "as asked"})
            continue
        await send({"type": "websocket.send", **{k: v for k, v in message.items()
                                                 if k in ("text", "bytes")}})


async def ws_scope(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    shown = {key: value for key, value in scope.items() if key not in ("headers", "state")}
    await send({"type": "websocket.send", "text": json.dumps(shown, default=repr)})
    await receive()


async def ws_refuse(scope, receive, send):
    await receive()
    await send({"type": "websocket.close"})


async def ws_deny(scope, receive, send):
    await receive()
    await send({"type": "websocket.http.response.start", "status": 401,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "websocket.http.response.body", "body": b"no entry"})


async def ws_raise_before(scope, receive, send):
    raise RuntimeError("ws boom before accept")


async def ws_raise_after(scope, receive, send):
    await receive()
    await send({"type": "websocket.accept"})
    await receive()
    raise RuntimeError("ws boom after accept")


async def ws_no_accept(scope, receive, send):
    await receive()


async def anyio_scope(scope, receive, send):
    """An anyio cancel scope entered before the first wait and left after it.

    The scope keeps the task it was entered in and refuses to be left in
    another: the call must stay on that task across its waits. Its deadline
    cancels the wait; a second, inner wait shows the task goes on after it.
    """
    import anyio
    entered = asyncio.current_task()
    with anyio.move_on_after(float(query(scope, "deadline", "0.05"))) as cancel_scope:
        await asyncio.sleep(5)
    await asyncio.sleep(0)
    await asyncio.sleep(0.001)
    body = {"cancelled": cancel_scope.cancelled_caught,
            "same_task": asyncio.current_task() is entered}
    await reply(send, 200, json.dumps(body).encode(), b"application/json")


async def anyio_forever(scope, receive, send):
    """Answers, then waits in an anyio scope until cancelled (the server stops)."""
    import anyio
    await reply(send, 200, b"waiting")
    try:
        with anyio.CancelScope():
            await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print("anyio_forever was cancelled", flush=True)
        raise


async def show_record(scope, receive, send):
    key = scope["path"].split("/")[2]
    await reply(send, 200, json.dumps(records.get(key)).encode(), b"application/json")


class Key(str):
    """A str subclass as a message key: read by its value, as a dict lookup would."""


async def made_keys(scope, receive, send):
    """Messages whose keys are made at run time (not interned), and a more_body whose
    __bool__ changes the message: the body read is the one there after it ran."""
    await send({"".join(["ty", "pe"]): "http.response.start", "".join(["sta", "tus"]): 201,
                Key("headers"): [(b"x-made", b"yes")]})

    class Changes:
        def __bool__(self):
            del message["body"]
            message["body"] = b"after"
            return False

    message = {"type": "http.response.body", "body": bytes([98]) * 6, "more_body": Changes()}
    await send(message)


listeners = {}


async def listen(scope, receive, send):
    """A stream other requests write to (/say): a chat room's member, say. Ends at /hang-up."""
    key = scope["path"].split("/")[2]
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ready\n", "more_body": True})
    over = asyncio.Event()
    listeners[key] = (send, over)
    await over.wait()
    await send({"type": "http.response.body", "body": b"bye\n"})


async def say(scope, receive, send):
    """Writes ?text= to /listen/{key}'s stream from this request's own app, then answers."""
    other, _ = listeners[scope["path"].split("/")[2]]
    await other({"type": "http.response.body", "body": query(scope, "text", "").encode() + b"\n",
                 "more_body": True})
    await reply(send, 200, b"said")


async def hang_up(scope, receive, send):
    listeners.pop(scope["path"].split("/")[2])[1].set()
    await reply(send, 200, b"hung up")


kept_calls = {}


async def reuse_counts(scope, receive, send):
    """What the engine made rather than reused (tests/python/test_refcount_bets.py's counts)."""
    await reply(send, 200, json.dumps(_native._reuse_counts(send)).encode(),
                b"application/json")


async def keep(scope, receive, send):
    """Keeps this request's receive and send (strongly, or ?how=weak) for /kept to use later."""
    await receive()  # the body: a later receive() gives http.disconnect
    key = scope["path"].split("/")[2]
    if query(scope, "how", "strong") == "weak":
        kept_calls[key] = (weakref.ref(receive), weakref.ref(send))
    else:
        kept_calls[key] = (lambda: receive, lambda: send)
    await reply(send, 200, b"kept")


async def kept(scope, receive, send):
    """Uses a kept receive and send: they must still be their own request's, long answered."""
    old_receive, old_send = (ref() for ref in kept_calls.pop(scope["path"].split("/")[2]))
    said = {"receive": "dead", "send": "dead"}
    if old_receive is not None:
        said["receive"] = (await old_receive())["type"]
    if old_send is not None:
        try:
            await old_send({"type": "http.response.start", "status": 200, "headers": []})
            said["send"] = "sent"
        except Exception as e:
            said["send"] = type(e).__name__
    del old_receive, old_send
    await reply(send, 200, json.dumps(said).encode(), b"application/json")


ROUTES = {
    "/scope": show_scope, "/anyio-scope": anyio_scope, "/anyio-forever": anyio_forever,
    "/echo": echo, "/slow-read": slow_read, "/stream": stream,
    "/endless": endless, "/wait-disconnect": wait_disconnect, "/after-response": after_response,
    "/background": background, "/pathsend": pathsend, "/head-length": head_length,
    "/waits": waits, "/raise-before": raise_before, "/raise-after": raise_after,
    "/no-response": no_response, "/bad-header": bad_header, "/double-start": double_start,
    "/body-first": body_first, "/wrong-length": wrong_length, "/str-body": str_body,
    "/record": show_record, "/close-after": close_after, "/flood": flood,
    "/ws-echo": ws_echo, "/ws-scope": ws_scope, "/ws-refuse": ws_refuse, "/ws-deny": ws_deny,
    "/ws-raise-before": ws_raise_before, "/ws-raise-after": ws_raise_after,
    "/ws-no-accept": ws_no_accept, "/reuse-counts": reuse_counts, "/keep": keep, "/kept": kept,
    "/made-keys": made_keys, "/listen": listen, "/say": say, "/hang-up": hang_up,
}

if __name__ == "__main__":
    applog.setup()
    lesto.AsgiApplication(app, lifespan="on", limits={"max_stream_body_bytes": 64 << 20}).run(
        host="127.0.0.1", port=int(sys.argv[1]), **applog.run_options())
