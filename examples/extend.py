"""Extending the request: a computed property and a method of your own.

app.extend_request(fn, property=True) makes `request.fn` call fn(request);
without property=True, `request.fn(...)` calls fn(request, ...). The name is
the function's unless name= gives another; names requests already have are
refused.

    python examples/extend.py [HOST] [PORT]
    curl http://127.0.0.1:8080/ -H 'Host: api.example.com' -A 'curl'
"""

from lesto import Application


def extended_hello(request):
    if request.host_startswith('api.'):
        text = 'Hello ' + request.reversed_agent
    else:
        text = 'Hello stranger'
    return request.Response(text=text)


def with_callback(request):
    # Runs once the response has been written (or the client has gone).
    request.add_done_callback(lambda r: print('done with', r.path, flush=True))
    return request.Response(text='cb')


def reversed_agent(request):
    return request.headers.get('User-Agent', '')[::-1]


def host_startswith(request, prefix):
    return (request.hostname or '').startswith(prefix)


app = Application()
app.extend_request(reversed_agent, property=True)
app.extend_request(host_startswith)
app.extend_request(lambda request: request.hostname == 'localhost', name='is_local',
                   property=True)

r = app.router
r.add_route('/', extended_hello)
r.add_route('/callback', with_callback)
r.add_route('/local', lambda request: request.Response(json={'local': request.is_local}))

if __name__ == '__main__':
    import sys

    host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    app.run(host=host, port=port)
