"""Bench app: async handlers: / yields to the loop once, /direct never suspends.

Usage: python async_app.py PORT
"""

import asyncio
import sys

from lesto import Application


async def hello(request):
    await asyncio.sleep(0)
    return request.Response(text='Hello world!')


async def direct(request):
    return request.Response(text='Hello world!')


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    app = Application()
    app.router.add_route('/', hello)
    app.router.add_route('/direct', direct)
    app.run(host='127.0.0.1', port=port)


if __name__ == '__main__':
    main()
