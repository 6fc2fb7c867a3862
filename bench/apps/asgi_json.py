"""Bench app: a raw ASGI 3 app answering {"message": "Hello, World!"} as JSON at every path.

Served as bench.apps.asgi_json:app by Lesto, granian and uvicorn alike
(bench/asgi.py). The dict is encoded with orjson on every request, as the
TechEmpower JSON test asks; the headers are built per request too.
"""

import orjson


async def app(scope, receive, send):
    if scope['type'] == 'http':
        body = orjson.dumps({'message': 'Hello, World!'})
        await send({
            'type': 'http.response.start',
            'status': 200,
            'headers': [(b'content-type', b'application/json'), (b'content-length', b'%d' % len(body))],
        })
        await send({'type': 'http.response.body', 'body': body})
        return
    if scope['type'] == 'lifespan':  # nothing to set up, but say so, as a real app does
        while True:
            message = await receive()
            if message['type'] == 'lifespan.startup':
                await send({'type': 'lifespan.startup.complete'})
            elif message['type'] == 'lifespan.shutdown':
                await send({'type': 'lifespan.shutdown.complete'})
                return
