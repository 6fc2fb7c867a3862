"""Bench app: synchronous hello world at /. Usage: python hello.py PORT"""

import sys

from lesto import Application


def hello(request):
    return request.Response(text='Hello world!')


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    app = Application()
    app.router.add_route('/', hello)
    app.run(host='127.0.0.1', port=port)


if __name__ == '__main__':
    main()
