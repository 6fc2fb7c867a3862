"""Bench app: the folder $BENCH_FILES served at /static/ by the engine, and a 1 MiB stream.

Usage: BENCH_FILES=DIR python files_app.py PORT. /stream sends 1 MiB from an
async generator in 64 KiB pieces, /stream-1g 1 GiB.
"""

import os
import sys

from lesto import Application

PIECE = b"x" * (64 * 1024)


async def pieces():
    for _ in range(16):
        yield PIECE


def stream(request):
    return request.Response(stream=pieces())


async def gibibyte():
    for _ in range(16 * 1024):
        yield PIECE


def huge_stream(request):
    return request.Response(stream=gibibyte())


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    app = Application()
    app.router.add_static('/static/', os.environ["BENCH_FILES"])
    app.router.add_route('/stream', stream)
    app.router.add_route('/stream-1g', huge_stream)
    app.run(host='127.0.0.1', port=port)


if __name__ == '__main__':
    main()
