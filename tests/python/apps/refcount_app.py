"""refcount_app: handlers that keep what the engine would otherwise reuse (src/native/refcount.hpp).

A Request, a Response, asyncio's current task (the engine's stand-in) and a
request held only by a traceback are kept in globals; later handlers read
them back. /counts reports how many objects the engine has made rather than
reused. Usage: python refcount_app.py PORT.
"""

import asyncio
import sys
import weakref

import applog

from lesto import Application, _native

kept_requests = []
kept_responses = []
kept_steps = []
kept_errors = []


class KeptError(Exception):
    """Raised by /raise-kept; its traceback keeps the handler's frame, and so its request."""


def counts(request):
    return request.Response(json=_native._reuse_counts(request))


def plain(request):
    return request.Response(text=f"plain {request.match_dict['n']} {request.query_string}")


async def async_plain(request):
    return request.Response(text=f"async {request.match_dict['n']}")


async def async_yield(request):
    await asyncio.sleep(0)
    return request.Response(text=f"yielded {request.match_dict['n']}")


def about(request):
    """A request's data, read now."""
    return {
        "path": request.path,
        "query_string": request.query_string,
        "match_dict": request.match_dict,
        "tag": request.headers.get("X-Tag"),
        "body": None if request.body is None else request.body.decode("latin-1"),
        "note": getattr(request, "note", None),
        "extra": request.extra,
    }


def keep_request(request):
    # An attribute in the instance dict and one in `extra`: both are the
    # kept request's own, not emptied for the next request.
    request.note = f"note {request.match_dict['tag']}"
    request.extra["tag"] = request.match_dict["tag"]
    kept_requests.append(request)
    return request.Response(text=str(len(kept_requests) - 1))


def kept_request(request):
    return request.Response(json=about(kept_requests[int(request.match_dict["i"])]))


def raise_kept(request):
    request.note = "raised"
    raise KeptError(request.match_dict["tag"])


def keep_error(request, exc):
    kept_errors.append(exc)
    return request.Response(code=500, text=str(len(kept_errors) - 1))


def kept_error(request):
    """The request of a handler that raised, reached through the kept exception's traceback."""
    tb = kept_errors[int(request.match_dict["i"])].__traceback__
    while tb.tb_frame.f_code is not raise_kept.__code__:
        tb = tb.tb_next
    return request.Response(json=about(tb.tb_frame.f_locals["request"]))


def keep_response(request):
    # The Response written is the one kept: writing it must not recycle it.
    tag = request.match_dict["tag"]
    headers = {"X-Tag": tag, "X-Index": str(len(kept_responses))}
    response = request.Response(code=201, text=f"kept {tag}", headers=headers)
    kept_responses.append(response)
    return response


def kept_response(request):
    r = kept_responses[int(request.match_dict["i"])]
    return request.Response(json={"code": r.code, "text": r.text, "headers": r.headers})


def resend(request):
    """Writes a kept Response once more."""
    return kept_responses[int(request.match_dict["i"])]


async def keep_step(request):
    task = asyncio.current_task()
    # weakly: as anyio keeps its per-task state (a WeakKeyDictionary)
    kept_steps.append(weakref.ref(task) if "weakly" in (request.query_string or "") else task)
    if "yield" in (request.query_string or ""):  # kept across a step the engine resumes in a round
        await asyncio.sleep(0)
    return request.Response(text=str(len(kept_steps) - 1))


async def step_check(request):
    """Whether this handler runs under a kept stand-in, before and after a bare yield."""
    before = any(asyncio.current_task() is step for step in _kept_steps())
    await asyncio.sleep(0)
    after = any(asyncio.current_task() is step for step in _kept_steps())
    return request.Response(json={"before": before, "after": after})


async def cancel_own(request):
    asyncio.current_task().cancel()
    try:
        await asyncio.sleep(0)
    except asyncio.CancelledError:
        return request.Response(text="cancelled")
    return request.Response(text="not cancelled")


def _kept_steps():
    """The kept stand-ins, the weakly kept ones that are still alive included."""
    for step in kept_steps:
        step = step() if isinstance(step, weakref.ref) else step
        if step is not None:
            yield step


def kept_step(request):
    step = kept_steps[int(request.match_dict["i"])]
    if isinstance(step, weakref.ref):
        step = step()
        if step is None:  # the engine let it go rather than reuse it
            return request.Response(json={"gone": True})
    return request.Response(json={"cancelling": step.cancelling(), "done": step.done()})


def weak_request(request):
    try:
        weakref.ref(request)
    except TypeError:
        return request.Response(text="refused")
    return request.Response(text="taken")


def make_app():
    app = Application()
    r = app.router
    r.add_route("/counts", counts)
    r.add_route("/plain/{n}", plain)
    r.add_route("/async-plain/{n}", async_plain)
    r.add_route("/async-yield/{n}", async_yield)
    r.add_route("/keep-request/{tag}", keep_request)
    r.add_route("/kept-request/{i}", kept_request)
    r.add_route("/raise-kept/{tag}", raise_kept)
    r.add_route("/kept-error/{i}", kept_error)
    r.add_route("/keep-response/{tag}", keep_response)
    r.add_route("/kept-response/{i}", kept_response)
    r.add_route("/resend/{i}", resend)
    r.add_route("/keep-step", keep_step)
    r.add_route("/step-check", step_check)
    r.add_route("/cancel-own", cancel_own)
    r.add_route("/kept-step/{i}", kept_step)
    r.add_route("/weak-request", weak_request)
    app.add_error_handler(KeptError, keep_error)
    return app


if __name__ == "__main__":
    applog.setup()
    app = make_app()
    if sys.argv[2:] == ["weak"]:
        # A request class that takes weak references: the engine must refuse it.
        app.request_class = type("WeakRequest", (app.request_class,), {})
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
