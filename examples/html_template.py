"""HTML: a small page built with string.Template, user input escaped.

Any template engine works the same way: render to a str, answer it with
mime_type='text/html'.

    python examples/html_template.py [HOST] [PORT]
    open http://127.0.0.1:8080/ and http://127.0.0.1:8080/hello/<b>you</b>
"""

from html import escape
from string import Template

from lesto import Application

PAGE = Template('''<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>$title</title></head>
<body>
<h1>$title</h1>
<ul>
$items
</ul>
</body>
</html>
''')

FRUITS = ['apple', 'banana', 'cherry']


def render(title, items):
    lines = '\n'.join(f'<li>{escape(item)}</li>' for item in items)
    return PAGE.substitute(title=escape(title), items=lines)


def index(request):
    return request.Response(text=render('Fruits', FRUITS), mime_type='text/html')


def hello(request):
    name = request.match_dict['name']
    return request.Response(text=render(f'Hello, {name}!', request.query.getall('item')),
                            mime_type='text/html')


app = Application()
app.router.add_route('/', index)
app.router.add_route('/hello/{name}', hello)

if __name__ == '__main__':
    import sys

    host = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1'
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    app.run(host=host, port=port)
