"""asgi_cases: the differential test's table: raw requests to the framework apps, and what uvicorn answers.

Each case is one write on a fresh connection: one request, or several
pipelined. Each request says the status the reference (uvicorn) gives, per
framework where the frameworks differ; the differential test then asks that
Lesto answers each exactly as uvicorn does (see SIGNIFICANT_HEADERS).
"""

import random
from dataclasses import dataclass, field

FRAMEWORKS = ("fastapi", "starlette", "litestar", "django")
# Django has no lifespan state and no background tasks: those routes are not in its project.
NO_DJANGO = ("fastapi", "starlette", "litestar")
ROOTED = ("fastapi-rooted",)
# The apps that raise an error no handler maps on to the server, after sending their 500
# (Starlette's ServerErrorMiddleware): the server must log it. Litestar and Django keep it.
RAISE_TO_SERVER = ("fastapi", "starlette", "fastapi-rooted")

# The response headers compared between servers. Framing (content-length,
# transfer-encoding, connection) is the server's choice: the decoded body is
# compared instead, and content-length only on HEAD, where there is no body.
SIGNIFICANT_HEADERS = (
    "content-type", "set-cookie", "location", "allow", "x-middleware", "cache-control",
    "content-disposition", "etag", "last-modified", "accept-ranges", "content-range",
)

BIG = random.Random(16).randbytes(20 * 1024 * 1024)  # the large upload: 20 MiB, read in pieces
MEDIUM = BIG[:1024 * 1024]
BOUNDARY = "lesto-boundary-7d2f"


def multipart(fields, files):
    """A multipart/form-data body: `fields` {name: text}, `files` {name: (filename, type, bytes)}."""
    parts = []
    for name, value in fields.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for name, (filename, content_type, data) in files.items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                     + data + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


UPLOAD = multipart({"name": "report"}, {"file": ("data.bin", "application/octet-stream", MEDIUM[:5000])})
MULTIPART = ("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
JSON = ("Content-Type", "application/json")
FORM = ("Content-Type", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Request:
    """One request of a case, and the status uvicorn answers it with (an int, or one per framework)."""

    method: str
    path: str
    headers: tuple = ()
    body: bytes = b""
    status: object = 200
    version: str = "1.1"
    chunk_size: int = 0  # > 0: the body goes chunked, in pieces of this size
    expect_continue: bool = False  # send the head, wait for 100 Continue, then the body
    traceback: str = ""  # the server logs a traceback holding this, for the apps of RAISE_TO_SERVER

    def status_for(self, app):
        return self.status[app] if isinstance(self.status, dict) else self.status

    def traceback_for(self, app):
        return self.traceback if app in RAISE_TO_SERVER else ""

    def head(self):
        lines = [f"{self.method} {self.path} HTTP/{self.version}", "Host: localhost"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.chunk_size:
            lines.append("Transfer-Encoding: chunked")
        elif self.body or self.method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(self.body)}")
        if self.expect_continue:
            lines.append("Expect: 100-continue")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def encoded_body(self):
        if not self.chunk_size:
            return self.body
        pieces = [self.body[i:i + self.chunk_size] for i in range(0, len(self.body), self.chunk_size)]
        return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"

    def __bytes__(self):
        return self.head() + self.encoded_body()


@dataclass(frozen=True)
class Case:
    name: str
    requests: tuple
    apps: tuple = field(default=FRAMEWORKS)  # names of asgi_servers.APPS


def get(path, headers=(), **kw):
    return Request("GET", path, tuple(headers), **kw)


def post(path, body, headers=(), **kw):
    return Request("POST", path, tuple(headers), body, **kw)


def case(name, *requests, apps=FRAMEWORKS):
    return Case(name, requests, apps)


VALIDATION = {"fastapi": 422, "starlette": 400, "litestar": 400, "django": 400}
# FastAPI routes and Litestar handlers answer GET only; Starlette and Django (require_safe) HEAD too.
HEAD_OK = {"fastapi": 405, "starlette": 200, "litestar": 405, "django": 200}

CASES = (
    # routing
    case("hello", get("/hello")),
    case("head", Request("HEAD", "/hello", status=HEAD_OK)),
    case("not found", get("/nope", status=404)),
    case("method not allowed", post("/hello", b"", status=405)),
    case("redirect", get("/redirect", status={"fastapi": 307, "starlette": 307, "litestar": 302,
                                                "django": 302})),
    # path and query parameters
    case("path int and query", get("/items/42?q=caf%C3%A9")),
    case("path int rejects text", get("/items/abc", status={**VALIDATION, "starlette": 404,
                                                            "litestar": 404, "django": 404})),
    case("empty query value", get("/items/7?q=&other=1")),
    case("path decoded", get("/greet/a%20b")),
    case("path utf-8", get("/greet/%C3%A9t%C3%A9")),
    case("encoded slash", get("/greet/a%2Fb", status=404)),
    case("repeated query", get("/search?tag=a&tag=b+c&limit=3")),
    case("bad query", get("/search?limit=many", status=VALIDATION)),
    case("scope", get("/whoami?x=1&y=%20", [("X-Custom", "custom value"), ("User-Agent", "raw/1")])),
    # a repeated header: the apps read the first, as it came, whatever the name's case
    case("repeated header", get("/whoami", [("x-CUSTOM", "first"), ("X-Custom", "second")])),
    # JSON in and out
    case("json", post("/json", b'{"name": "widget", "count": 21}', [JSON])),
    case("json not json", post("/json", b'{"name": ', [JSON], status=VALIDATION)),
    case("json wrong type", post("/json", b'{"name": "w", "count": "many"}', [JSON],
                                 status=VALIDATION)),
    # forms and multipart upload
    case("form", post("/form", b"name=Ada+L&color=blue%21", [FORM])),
    case("form default", post("/form", b"name=Bo", [FORM])),
    case("form missing field", post("/form", b"color=red", [FORM], status=VALIDATION)),
    case("multipart", post("/upload", UPLOAD, [MULTIPART])),
    # Django's multipart parser needs a Content-Length: without one it sees no fields.
    case("multipart chunked", post("/upload", UPLOAD, [MULTIPART], chunk_size=777,
                                   status={**dict.fromkeys(FRAMEWORKS, 200), "django": 400})),
    # cookies
    case("cookie set", get("/cookies/set?flavor=vanilla")),
    case("cookie read", get("/cookies/read", [("Cookie", "flavor=chocolate; other=1")])),
    case("cookie absent", get("/cookies/read")),
    # exception handlers
    case("app error", get("/error/teapot", status=418)),
    case("unhandled error", get("/error/unhandled", status=500, traceback="UnhandledError")),
    # background tasks: the GET, pipelined, waits for the POST's task to have run
    case("background task", post("/tasks/pipelined", b"", status=202), get("/tasks/pipelined"),
         apps=NO_DJANGO),
    # streamed responses
    case("stream", get("/stream")),
    case("sse", get("/sse", [("Accept", "text/event-stream")])),
    case("stream http/1.0", get("/stream", version="1.0")),
    # files
    case("file", get("/file")),
    case("file head", Request("HEAD", "/file", status=HEAD_OK)),
    case("file range", get("/file", [("Range", "bytes=10-99")],
                           status={"fastapi": 206, "starlette": 206, "litestar": 200, "django": 200})),
    # lifespan state
    case("lifespan state", get("/state"), apps=NO_DJANGO),
    # large and streamed uploads
    case("upload 20 MiB", post("/upload/size", BIG)),
    case("upload chunked", post("/upload/size", MEDIUM, chunk_size=65536)),
    case("upload 100-continue", post("/upload/size", MEDIUM, expect_continue=True)),
    case("upload empty", post("/upload/size", b"")),
    # several requests in one write, answered in order
    case("pipelined", get("/hello"), get("/items/1?q=a"),
         post("/json", b'{"name": "p", "count": 1}', [JSON]), get("/nope", status=404)),
    case("http/1.0", get("/hello", version="1.0")),
    # --root-path /api: the proxy in front strips the prefix; the app sees it again in its
    # scope (uvicorn puts it in `path` too) and in the URLs it makes (docs, OpenAPI servers).
    case("root path scope", get("/whoami"), get("/api/whoami", status=404), apps=ROOTED),
    case("root path urls", get("/openapi.json"), get("/docs"), apps=ROOTED),
)
