"""Bench app: a raw ASGI 3 app answering `Hello world!` as plain text at every path.

Served as bench.apps.asgi_hello:app by Lesto, granian and uvicorn alike
(bench/asgi.py). The response messages are built once: what is measured is
the server's cost of driving the app, not the app's.
"""

START = {
    'type': 'http.response.start',
    'status': 200,
    'headers': [(b'content-type', b'text/plain; charset=utf-8'), (b'content-length', b'12')],
}
BODY = {'type': 'http.response.body', 'body': b'Hello world!'}


async def app(scope, receive, send):
    if scope['type'] == 'http':
        await send(START)
        await send(BODY)
        return
    if scope['type'] == 'lifespan':  # nothing to set up, but say so, as a real app does
        while True:
            message = await receive()
            if message['type'] == 'lifespan.startup':
                await send({'type': 'lifespan.startup.complete'})
            elif message['type'] == 'lifespan.shutdown':
                await send({'type': 'lifespan.shutdown.complete'})
                return
