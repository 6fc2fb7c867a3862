"""Bench app: a raw ASGI 3 app echoing every WebSocket message, at every path.

Served as bench.apps.asgi_ws_echo:app by Lesto's ASGI front-end and by granian
alike (bench/ws.py): it imports nothing, so the peers' environment, which has
no Lesto, can serve it too.
"""

ACCEPT = {'type': 'websocket.accept'}


async def app(scope, receive, send):
    if scope['type'] == 'websocket':
        await receive()  # websocket.connect
        await send(ACCEPT)
        while True:
            message = await receive()
            if message['type'] == 'websocket.disconnect':
                return
            await send({'type': 'websocket.send', 'text': message.get('text'),
                        'bytes': message.get('bytes')})
    if scope['type'] == 'lifespan':  # nothing to set up, but say so, as a real app does
        while True:
            message = await receive()
            if message['type'] == 'lifespan.startup':
                await send({'type': 'lifespan.startup.complete'})
            elif message['type'] == 'lifespan.shutdown':
                await send({'type': 'lifespan.shutdown.complete'})
                return
