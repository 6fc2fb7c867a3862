"""The request: every attribute a handler can read, echoed back as JSON.

    python examples/request.py [HOST] [PORT]
    curl 'http://127.0.0.1:8080/echo/x?a=1&a=2&b=x+y' -H 'Cookie: theme=dark'
    curl http://127.0.0.1:8080/echo -d '{"k": [1, 2]}' -H 'Content-Type: application/json'
    curl http://127.0.0.1:8080/echo -F name=Ana -F upload=@README.md
"""

from lesto import Application
from lesto.body import InvalidJSON
from lesto.forms import FormError


def attempt(read):
    """The value, or what went wrong reading it (a body that is not JSON...)."""
    try:
        return read()
    except (InvalidJSON, FormError, UnicodeDecodeError, LookupError) as exc:
        return {'error': f'{type(exc).__name__}: {exc}'}


def echo(request):
    body = request.body
    return request.Response(json={
        'method': request.method,
        'path': request.path,
        'version': request.version,
        'query_string': request.query_string,
        'query': dict(request.query),                # the last value of each name
        'query_all': request.query.multi_items(),    # every pair; or .getall(name)
        'headers': dict(request.headers),            # names as japronto showed them
        'mime_type': request.mime_type,
        'encoding': request.encoding,
        'body_length': None if body is None else len(body),
        'text': attempt(lambda: request.text),
        'json': attempt(lambda: request.json),
        # form: None unless the body is urlencoded or multipart; files: unless multipart.
        'form': attempt(lambda: None if request.form is None else dict(request.form)),
        'files': attempt(lambda: None if request.files is None else [
            {'field_name': f.field_name, 'name': f.name, 'type': f.type,
             'content_type': f.content_type, 'size': len(f.body)}
            for f in request.files.values()
        ]),
        'cookies': request.cookies,
        'hostname': request.hostname,
        'port': request.port,
        'remote_addr': request.remote_addr,
        'keep_alive': request.keep_alive,
        'match_dict': request.match_dict,
        'route': request.route.pattern,
        'extra': request.extra,
    })


app = Application()
app.router.add_route('/echo', echo)
app.router.add_route('/echo/{name}', echo)

if __name__ == '__main__':
    import sys

    host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    app.run(host=host, port=port)
