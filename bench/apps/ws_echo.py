"""Bench app: a Lesto WebSocket route echoing every message at /, and the same as a raw ASGI app.

`python -m bench.apps.ws_echo PORT` serves the Lesto route (scripts/autobahn.py,
bench/websocket.py); `asgi_app` is the echo as a raw ASGI 3 app, served by
Lesto's ASGI front-end and by the peers (granian, uvicorn) alike.
"""

import sys

from lesto import Application

app = Application()


async def echo(ws):
    async for message in ws:
        await ws.send(message)


app.router.add_websocket('/', echo)


async def asgi_app(scope, receive, send):
    if scope['type'] != 'websocket':
        return
    await receive()  # websocket.connect
    await send({'type': 'websocket.accept'})
    while True:
        message = await receive()
        if message['type'] == 'websocket.disconnect':
            return
        await send({'type': 'websocket.send', 'text': message.get('text'),
                    'bytes': message.get('bytes')})


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=int(sys.argv[1]))
