"""Async handlers: an `async def` handler may await anything asyncio offers.

A handler that awaits something pending runs on as an asyncio task while the
server goes on serving; one that never suspends costs what a sync handler
costs. Responses leave each connection in request order either way.

    python examples/async_handlers.py [HOST] [PORT]
    curl http://127.0.0.1:8080/sync
    curl 'http://127.0.0.1:8080/async?steps=3'
"""

import asyncio

from lesto import Application


def synchronous(request):
    return request.Response(text='I am synchronous!')


async def asynchronous(request):
    steps = int(request.query.get('steps', '3'))
    for _ in range(steps):
        await asyncio.sleep(0.01)  # stands for a database query, an HTTP call...
    return request.Response(text=f'I am asynchronous! ({steps} steps)')


async def no_suspension(request):
    # Never awaits anything pending: answered at once, without a task.
    return request.Response(text='async, but never suspended')


app = Application()
app.router.add_route('/sync', synchronous)
app.router.add_route('/async', asynchronous)
app.router.add_route('/async-quick', no_suspension)

if __name__ == '__main__':
    import sys

    host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    app.run(host=host, port=port)
