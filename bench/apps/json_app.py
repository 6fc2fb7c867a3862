"""Bench app: JSON serialization at /json (the TechEmpower test). Usage: python json_app.py PORT"""

import sys

from lesto import Application


def json_handler(request):
    return request.Response(json={'message': 'Hello, World!'})


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
    app = Application()
    app.router.add_route('/json', json_handler)
    app.run(host='127.0.0.1', port=port)


if __name__ == '__main__':
    main()
