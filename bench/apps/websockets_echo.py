"""Bench app: the `websockets` library's asyncio server echoing every message, on uvloop.

`python -m bench.apps.websockets_echo PORT`, with the peers' Python
(bench/asgi_peers.py), for bench/ws.py. uvloop, as Lesto and granian run:
the library at its best on the same event loop. Compression is whatever the
client asks for (the bench's client asks for none).
"""

import sys

import uvloop
from websockets.asyncio.server import serve


async def echo(websocket):
    async for message in websocket:
        await websocket.send(message)


async def main(port):
    async with serve(echo, '127.0.0.1', port) as server:
        await server.serve_forever()


if __name__ == '__main__':
    uvloop.run(main(int(sys.argv[1])))
