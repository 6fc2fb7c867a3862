"""lesto.testing: test an app through the real engine, in the test's process, without sockets.

    from lesto.testing import TestClient

    def test_hello():
        with TestClient(app) as client:  # startup and shutdown hooks run
            response = client.get("/hello", params={"name": "Ada"})
            assert response.status_code == 200

TestClient and AsyncTestClient are httpx clients; Transport and
AsyncTransport are their httpx transports, for an httpx client of your
own. Requests go through the engine's parser, router, limits and writer
on memory connections (see lesto.testing.server). Needs the `testing`
extra: pip install 'lesto[testing]'.
"""

from .client import AsyncTestClient, TestClient
from .server import TestServer
from .transport import AsyncTransport, Transport
from .websocket import AsyncWebSocketSession, WebSocketDenied, WebSocketDisconnect, WebSocketSession

__all__ = [
    "AsyncTestClient",
    "AsyncTransport",
    "AsyncWebSocketSession",
    "TestClient",
    "TestServer",
    "Transport",
    "WebSocketDenied",
    "WebSocketDisconnect",
    "WebSocketSession",
]
