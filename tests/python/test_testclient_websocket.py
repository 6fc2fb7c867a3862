"""lesto.testing's WebSockets: messages both ways, close codes, refusals, subprotocols, failures.

For a Lesto WebSocket route and an ASGI (Starlette) one, on uvloop and the stdlib loop.
"""

import asyncio

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

import lesto
from lesto import Application, Response, WebSocketClosed
from lesto.testing import AsyncTestClient, TestClient, WebSocketDenied, WebSocketDisconnect


@pytest.fixture(params=("uvloop", "asyncio"), autouse=True)
def loop_choice(request, monkeypatch):
    monkeypatch.setenv("LESTO_LOOP", request.param)


class Boom(Exception):
    pass


def make_app():
    app = Application()
    seen = {}

    async def echo(ws):
        await ws.accept(headers={"X-Hello": "ws"})
        async for message in ws:
            if message == "bye":
                await ws.close(4000, "asked to leave")
                return
            await ws.send(message)

    async def protocols(ws):
        await ws.accept("chat.v2" if "chat.v2" in ws.subprotocols else None)
        await ws.send(f"{ws.request.query.get('name')} {ws.request.cookies.get('who')}")

    async def refuse(ws):
        return Response(code=403, text="not you")

    async def fail(ws):
        await ws.accept()
        await ws.receive()
        raise Boom("the WebSocket handler failed")

    async def record(ws):
        await ws.accept()
        try:
            await ws.receive()
        except WebSocketClosed as exc:
            seen["closed"] = exc.code

    async def big(ws):
        await ws.accept()
        size = int(await ws.receive())
        await ws.send(b"z" * size)

    app.router.add_websocket("/echo", echo)
    app.router.add_websocket("/protocols", protocols)
    app.router.add_websocket("/refuse", refuse)
    app.router.add_websocket("/fail", fail)
    app.router.add_websocket("/record", record)
    app.router.add_websocket("/big", big)
    return app, seen


def test_messages_go_both_ways_and_the_server_closes_with_its_code():
    app, _ = make_app()
    with TestClient(app) as client, client.websocket_connect("/echo") as ws:
        assert ws.response_headers["x-hello"] == "ws"
        ws.send_text("hello")
        assert ws.receive_text() == "hello"
        ws.send_bytes(b"\x00\x01")
        assert ws.receive_bytes() == b"\x00\x01"
        ws.send_json({"k": [1, "é"]})
        assert ws.receive_json() == {"k": [1, "é"]}
        ws.send_text("bye")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
        assert (closed.value.code, closed.value.reason) == (4000, "asked to leave")


def test_the_client_closing_is_seen_by_the_handler():
    app, seen = make_app()
    with TestClient(app) as client:
        with client.websocket_connect("/record") as ws:
            ws.close(4001)
        client.get("/")  # the loop runs on: the handler has its turn
        assert seen == {"closed": 4001}


def test_a_large_message_comes_whole():
    app, _ = make_app()
    with TestClient(app) as client, client.websocket_connect("/big") as ws:
        ws.send_text(str(3 * 1024 * 1024))
        assert ws.receive_bytes() == b"z" * (3 * 1024 * 1024)


def test_subprotocols_and_the_handshakes_request():
    app, _ = make_app()
    with TestClient(app, cookies={"who": "ada"}) as client:
        with client.websocket_connect("/protocols?name=x", subprotocols=["chat.v1", "chat.v2"]) as ws:
            assert ws.accepted_subprotocol == "chat.v2"
            assert ws.receive_text() == "x ada"


def test_a_refused_handshake_gives_the_response():
    app, _ = make_app()
    with TestClient(app) as client, pytest.raises(WebSocketDenied) as denied:
        with client.websocket_connect("/refuse"):
            pass
    assert denied.value.response.status_code == 403
    assert denied.value.response.text == "not you"


def test_a_handlers_exception_is_raised_in_the_test():
    app, _ = make_app()
    with TestClient(app) as client:
        with pytest.raises(Boom), client.websocket_connect("/fail") as ws:
            ws.send_text("go")
            ws.receive()  # the server closes with 1011
    with TestClient(app, raise_server_exceptions=False) as client:
        with client.websocket_connect("/fail") as ws:
            ws.send_text("go")
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive()
            assert closed.value.code == 1011


def test_an_asgi_websocket():
    async def endpoint(websocket):
        await websocket.accept(subprotocol="v1")
        name = await websocket.receive_text()
        await websocket.send_text(f"hello {name}")
        await websocket.send_bytes(b"\xff")
        await websocket.close(code=4002)

    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    with TestClient(app) as client, client.websocket_connect("/ws", subprotocols=["v1"]) as ws:
        assert ws.accepted_subprotocol == "v1"
        ws.send_text("ada")
        assert ws.receive_text() == "hello ada"
        assert ws.receive_bytes() == b"\xff"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
        assert closed.value.code == 4002


def test_the_async_client_has_websockets_too():
    app, _ = make_app()

    async def main():
        async with AsyncTestClient(app) as client:
            async with client.websocket_connect("/echo") as ws:
                await ws.send_text("one")
                await ws.send_bytes(b"two")
                return [await ws.receive(), await ws.receive()]

    loop = lesto.server.new_event_loop()
    try:
        assert loop.run_until_complete(main()) == ["one", b"two"]
    finally:
        loop.close()


def test_a_message_of_the_wrong_kind_says_so():
    app, _ = make_app()
    with TestClient(app) as client, client.websocket_connect("/echo") as ws:
        ws.send_bytes(b"bin")
        with pytest.raises(TypeError, match="expected a text message"):
            ws.receive_text()


def test_many_sessions_on_one_loop():
    app, _ = make_app()

    async def main():
        async with AsyncTestClient(app) as client:
            async def one(i):
                async with client.websocket_connect("/echo") as ws:
                    await ws.send_text(str(i))
                    return await ws.receive_text()
            return await asyncio.gather(*(one(i) for i in range(20)))

    loop = lesto.server.new_event_loop()
    try:
        assert loop.run_until_complete(main()) == [str(i) for i in range(20)]
    finally:
        loop.close()
