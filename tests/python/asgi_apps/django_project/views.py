"""views: the contract's routes as async Django views."""

import hashlib
import json

import shared
from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.views.decorators.http import require_POST, require_safe

PIECE = 64 * 1024


def bad_request(reason):
    return JsonResponse({"error": reason}, status=400)


@require_safe
async def hello(request):
    return HttpResponse("Hello, world", content_type="text/plain; charset=utf-8")


@require_safe
async def item(request, item_id):
    return JsonResponse({"item_id": item_id, "q": request.GET.get("q")})


@require_safe
async def greet(request, name):
    return JsonResponse({"name": name})


@require_safe
async def search(request):
    limit = request.GET.get("limit", "10")
    if not limit.isdigit():
        return bad_request("limit must be a whole number")
    return JsonResponse({"tags": request.GET.getlist("tag"), "limit": int(limit)})


@require_safe
async def whoami(request):
    return JsonResponse({
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "root_path": request.META.get("SCRIPT_NAME", ""),
        "query": request.META.get("QUERY_STRING", ""),
        "client": request.META.get("REMOTE_ADDR"),
        "header": request.headers.get("x-custom"),
    })


@require_POST
async def order(request):
    try:
        body = json.loads(request.body)
    except ValueError:
        return bad_request("body is not JSON")
    if not (isinstance(body, dict) and isinstance(body.get("name"), str)
            and isinstance(body.get("count"), int)):
        return bad_request("expected {name: string, count: integer}")
    return JsonResponse({"name": body["name"], "double": body["count"] * 2})


@require_POST
async def form(request):
    if "name" not in request.POST:
        return bad_request("field name is missing")
    return JsonResponse({"name": request.POST["name"], "color": request.POST.get("color", "none")})


@require_POST
async def upload(request):
    file = request.FILES.get("file")
    if "name" not in request.POST or file is None:
        return bad_request("expected the fields name and file")
    data = file.read()
    return JsonResponse({"name": request.POST["name"], "filename": file.name,
                         "content_type": file.content_type, "size": len(data),
                         "sha256": hashlib.sha256(data).hexdigest()})


@require_safe
async def set_cookie(request):
    flavor = request.GET.get("flavor")
    if flavor is None:
        return bad_request("query parameter flavor is missing")
    response = JsonResponse({"set": flavor})
    response.set_cookie("flavor", flavor, httponly=True)
    return response


@require_safe
async def read_cookie(request):
    return JsonResponse({"flavor": request.COOKIES.get("flavor")})


@require_safe
async def teapot(request):
    raise shared.AppError("short and stout")


@require_safe
async def unhandled(request):
    raise shared.UnhandledError("nobody handles this")


async def encoded(chunks):
    async for chunk in chunks:
        yield chunk.encode()


@require_safe
async def stream(request):
    return StreamingHttpResponse(encoded(shared.stream_chunks()), content_type="text/plain")


async def sse_events():
    for data in shared.SSE_EVENTS:
        yield f"event: tick\ndata: {data}\n\n".encode()


@require_safe
async def sse(request):
    response = StreamingHttpResponse(sse_events(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
async def file(request):
    # Django's FileResponse iterates a sync file: under ASGI it warns once and reads it
    # in a thread. That is Django's way to serve a file, so the test serves it that way.
    return FileResponse(open(shared.sample_file(), "rb"), as_attachment=True, filename="sample.bin")


@require_POST
async def upload_size(request):
    # Django's ASGI handler receives the whole body (into a spooled temporary file)
    # before the view runs; the view then reads it in pieces, as a view can.
    digest = shared.Digest()
    while piece := request.read(PIECE):
        digest.update(piece)
    response = JsonResponse(digest.result())
    response[shared.PIECES_HEADER] = str(digest.pieces)
    return response


@require_safe
async def redirect(request):
    return HttpResponseRedirect("/hello")
