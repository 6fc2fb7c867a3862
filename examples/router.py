"""Routing: placeholders, literal braces and methods.

`{name}` captures one path segment into request.match_dict; `{{` and `}}`
are literal braces. `method=` restricts a route to one method, `methods=` to
several, neither lets any method in. A path that exists with another method
is answered 405 with an Allow header.

    python examples/router.py [HOST] [PORT]
    curl http://127.0.0.1:8080/love
    curl -X DELETE http://127.0.0.1:8080/methods
    curl http://127.0.0.1:8080/params/a/b
"""

from lesto import Application


def slash(request):
    return request.Response(text=f'Hello {request.method} /!')


def get_love(request):
    return request.Response(text='Got some love')


def methods(request):
    return request.Response(text=f'Hello {request.method}!')


def params(request):
    return request.Response(json=request.match_dict)


def braces(request):
    return request.Response(text=f'{{literal}} then {request.match_dict["id"]}')


app = Application()
r = app.router
r.add_route('/', slash)
r.add_route('/love', get_love, method='GET')
r.add_route('/methods', methods, methods=['POST', 'DELETE'])
r.add_route('/params/{p1}/{p2}', params)
r.add_route('/braces/{{literal}}/{id}', braces)

if __name__ == '__main__':
    import sys

    host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    app.run(host=host, port=port)
