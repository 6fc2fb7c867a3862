"""Bench app: a Starlette WebSocket route echoing every message at /.

Served as bench.apps.starlette_ws_echo:app by Lesto's ASGI front-end for the
Autobahn TestSuite (scripts/autobahn.py), as the issue asks of FastAPI's and
Starlette's WebSocket routes.
"""

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocketDisconnect


async def echo(websocket):
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message['type'] == 'websocket.disconnect':
                return
            if message.get('text') is not None:
                await websocket.send_text(message['text'])
            else:
                await websocket.send_bytes(message['bytes'])
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[WebSocketRoute('/', echo)])
