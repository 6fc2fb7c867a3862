"""Server-sent events: every client gets an event every 100 ms, as long as it listens.

A streamed response never ends by itself here; the client ending it (or the
server stopping) closes the generator, whose `finally` runs. While a client
reads slowly, its generator waits instead of piling events up in memory.

    python examples/sse.py [HOST] [PORT]
    curl -N http://127.0.0.1:8080/events            # one event every 100 ms
    curl -N 'http://127.0.0.1:8080/events?count=5'  # five, then the stream ends
"""

import asyncio
import itertools
import json
import time

from lesto import Application

listeners = 0


async def ticks(count):
    global listeners
    listeners += 1
    try:
        for n in itertools.count() if count is None else range(count):
            data = json.dumps({'n': n, 'time': time.time(), 'listeners': listeners})
            yield f'id: {n}\nevent: tick\ndata: {data}\n\n'
            await asyncio.sleep(0.1)
    finally:
        listeners -= 1


def events(request):
    count = request.query.get('count')
    return request.Response(stream=ticks(None if count is None else int(count)),
                            mime_type='text/event-stream',
                            headers={'Cache-Control': 'no-cache'})


app = Application()
app.router.add_route('/events', events)

if __name__ == '__main__':
    import sys

    host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    app.run(host=host, port=port)
