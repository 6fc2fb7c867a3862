"""TestClient and AsyncTestClient: httpx clients whose requests go to the app through the engine.

They are httpx's Client and AsyncClient (params, headers, json, data,
files, content, cookies kept across requests, streaming, timeouts, event
hooks...) over Transport and AsyncTransport, with base_url
http://testserver, plus WebSockets and raw bytes. httpx's timeouts bound
each wait for the app (a hanging handler raises httpx.ReadTimeout).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import httpx

from .server import CLIENT_ADDRESS, TestServer
from .transport import AsyncTransport, Transport
from .websocket import AsyncWebSocketSession, WebSocketSession

BASE_URL = "http://testserver"


class TestClient(httpx.Client):
    """Requests to `app` (a Lesto Application or an ASGI app) from the test's own thread.

    `with TestClient(app) as client:` runs the startup hooks (an ASGI app's
    lifespan) on entering and the shutdown hooks on leaving; without `with`,
    neither runs. An exception the app raises is raised by the call that
    made the request, unless `raise_server_exceptions=False`: the response
    is then the 500 the wire would show. Other keyword arguments go to
    httpx.Client.
    """

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, app: object, *, base_url: str = BASE_URL,
                 raise_server_exceptions: bool = True, client: tuple[str, int] = CLIENT_ADDRESS,
                 lifespan: str = "auto", root_path: str = "", **kwargs: Any) -> None:
        transport = Transport(app, raise_server_exceptions=raise_server_exceptions,
                              client=client, lifespan=lifespan, root_path=root_path)
        super().__init__(transport=transport, base_url=base_url, **kwargs)
        self.lesto_transport = transport

    @property
    def app(self) -> object:
        """The Application served (an ASGI app is wrapped in an AsgiApplication)."""
        return self.lesto_transport.server.app

    @property
    def server(self) -> TestServer:
        return self.lesto_transport.server

    def __enter__(self) -> TestClient:
        super().__enter__()
        return self

    def websocket_connect(self, url: str, *, subprotocols: list[str] | None = None,
                          **kwargs: Any) -> WebSocketSession:
        """A WebSocket to `url`: `with client.websocket_connect('/ws') as ws:`.

        `kwargs` (params, headers, cookies) build the handshake request as
        for a request; raises WebSocketDenied when the app answers it with
        a response instead.
        """
        request = self.build_request("GET", url, **kwargs)
        session = AsyncWebSocketSession(self.server, request, subprotocols)
        return WebSocketSession(self.lesto_transport.run, session)

    def raw(self, data: bytes | Iterable[bytes], *, eof: bool = False,
            timeout: float | None = 5.0) -> bytes:
        """Send exact bytes on a new connection; the exact bytes the engine wrote back.

        Pieces of an iterable are sent in order, the engine serving between
        them. Returns once the engine is idle (every request received
        answered) or ended its output; `eof` ends the client's side after
        the bytes. TimeoutError when neither comes within `timeout` seconds.
        """
        return self.lesto_transport.raw(data, eof=eof, timeout=timeout)


class AsyncTestClient(httpx.AsyncClient):
    """TestClient for async tests: serves on the running event loop, `async with` for the hooks."""

    __test__ = False

    def __init__(self, app: object, *, base_url: str = BASE_URL,
                 raise_server_exceptions: bool = True, client: tuple[str, int] = CLIENT_ADDRESS,
                 lifespan: str = "auto", root_path: str = "", **kwargs: Any) -> None:
        transport = AsyncTransport(app, raise_server_exceptions=raise_server_exceptions,
                                   client=client, lifespan=lifespan, root_path=root_path)
        super().__init__(transport=transport, base_url=base_url, **kwargs)
        self.lesto_transport = transport

    @property
    def app(self) -> object:
        return self.lesto_transport.app

    async def __aenter__(self) -> AsyncTestClient:
        await super().__aenter__()
        return self

    def websocket_connect(self, url: str, *, subprotocols: list[str] | None = None,
                          **kwargs: Any) -> AsyncWebSocketSession:
        """A WebSocket to `url`: `async with client.websocket_connect('/ws') as ws:`."""
        request = self.build_request("GET", url, **kwargs)
        return AsyncWebSocketSession(self.lesto_transport.server, request, subprotocols)

    async def raw(self, data: bytes | Iterable[bytes], *, eof: bool = False,
                  timeout: float | None = 5.0) -> bytes:
        """As TestClient.raw."""
        return await self.lesto_transport.raw(data, eof=eof, timeout=timeout)
