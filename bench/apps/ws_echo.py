"""Bench app: a Lesto WebSocket route echoing every message at /.

`python -m bench.apps.ws_echo PORT` serves it (scripts/autobahn.py, bench/ws.py,
bench/idle.py). The same echo as a raw ASGI app, for Lesto's ASGI front-end
and the peers, is bench/apps/asgi_ws_echo.py.
"""

import sys

from lesto import Application

app = Application()


async def echo(ws):
    async for message in ws:
        await ws.send(message)


app.router.add_websocket('/', echo)


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=int(sys.argv[1]))
