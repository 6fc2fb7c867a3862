"""Bench app: Lesto over HTTPS: `Hello world!` at /, the folder $BENCH_FILES at /static/.

Usage: BENCH_TLS_CERT=PEM BENCH_TLS_KEY=PEM [BENCH_FILES=DIR] python tls_hello.py PORT.
The engine terminates TLS with its default configuration (lesto.tls).
"""

import os
import sys

from lesto import Application


def hello(request):
    return request.Response(text='Hello world!')


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8443
    app = Application()
    app.router.add_route('/', hello)
    if os.environ.get("BENCH_FILES"):
        app.router.add_static('/static/', os.environ["BENCH_FILES"])
    app.run(host='127.0.0.1', port=port, ssl_certfile=os.environ["BENCH_TLS_CERT"],
            ssl_keyfile=os.environ["BENCH_TLS_KEY"])


if __name__ == '__main__':
    main()
