"""Responses: text, an encoding, a mime type, raw bytes, JSON, status codes, headers, cookies.

    python examples/response.py [HOST] [PORT]
    curl -i http://127.0.0.1:8080/encoding
    curl -i http://127.0.0.1:8080/code?code=418
    curl -i http://127.0.0.1:8080/cookies
"""

from http.cookies import SimpleCookie

from lesto import Application, Response


def text(request):
    return request.Response(text='Hello world!')


def encoding(request):
    return request.Response(text='Já pronto!', encoding='iso-8859-1')


def mime(request):
    return request.Response(
        mime_type='image/svg+xml',
        text='<svg xmlns="http://www.w3.org/2000/svg" version="1.1">'
             '<line x1="10" y1="10" x2="80" y2="80" stroke="blue" /></svg>')


def body(request):
    return request.Response(body=b'\xde\xad\xbe\xef')


def json(request):
    return request.Response(json={'hello': 'world'})


def code(request):
    # Any status code from 100 to 599.
    return request.Response(code=int(request.query.get('code', '201')))


def headers(request):
    return request.Response(
        text='headers',
        headers={'X-Header': 'Value', 'Refresh': '5; url=https://xkcd.com/353/'})


def cookies(request):
    cookies = SimpleCookie()
    cookies['hello'] = 'world'
    cookies['hello']['domain'] = 'localhost'
    cookies['hello']['path'] = '/'
    cookies['hello']['max-age'] = 3600
    cookies['city'] = 'São Paulo'
    return request.Response(text='cookies', cookies=cookies)


# A Response can be built once, outside any handler, and returned many times.
GONE = Response(code=410, text='This page is gone for good.')


def gone(request):
    return GONE


app = Application()
router = app.router
router.add_route('/text', text)
router.add_route('/encoding', encoding)
router.add_route('/mime', mime)
router.add_route('/body', body)
router.add_route('/json', json)
router.add_route('/code', code)
router.add_route('/headers', headers)
router.add_route('/cookies', cookies)
router.add_route('/gone', gone)

if __name__ == '__main__':
    import sys

    host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    app.run(host=host, port=port)
