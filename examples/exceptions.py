"""Exceptions: error handlers, 404 and 405, and a catch-all.

The first handler whose type matches, in the order added, answers; None
matches anything. MethodNotAllowed (a path that exists, with another method)
subclasses RouteNotFoundException, so one handler can answer both.

    python examples/exceptions.py [HOST] [PORT]
    curl http://127.0.0.1:8080/cat
    curl http://127.0.0.1:8080/nowhere
    curl -X POST http://127.0.0.1:8080/cat
    curl http://127.0.0.1:8080/unhandled
"""

import logging

from lesto import Application, MethodNotAllowed, RouteNotFoundException

log = logging.getLogger('example')


class KittyError(Exception):
    def __init__(self):
        super().__init__('meow')
        self.greet = 'meow'


class DoggieError(Exception):
    def __init__(self):
        super().__init__('woof')
        self.bark = 'woof'


def cat(request):
    raise KittyError()


def dog(request):
    raise DoggieError()


def unhandled(request):
    1 / 0  # noqa: B018 (the point of the example)


def handle_cat(request, exception):
    return request.Response(text='Just a kitty, ' + exception.greet)


def handle_dog(request, exception):
    return request.Response(text='Just a doggie, ' + exception.bark)


def handle_not_found(request, exception):
    if isinstance(exception, MethodNotAllowed):
        return request.Response(code=405, text=f'{request.method}? Try {exception.allowed}.',
                                headers={'Allow': exception.allowed})
    return request.Response(code=404, text='Are you lost, pal?')


def handle_anything_else(request, exception):
    log.warning('%s %s failed: %r', request.method, request.path, exception)
    return request.Response(code=500, text=f'Something went wrong: {type(exception).__name__}')


app = Application()
app.add_error_handler(KittyError, handle_cat)
app.add_error_handler(DoggieError, handle_dog)
app.add_error_handler(RouteNotFoundException, handle_not_found)
app.add_error_handler(None, handle_anything_else)  # last: it matches anything

r = app.router
r.add_route('/cat', cat, method='GET')
r.add_route('/dog', dog)
r.add_route('/unhandled', unhandled)

if __name__ == '__main__':
    import sys

    host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    app.run(host=host, port=port)
