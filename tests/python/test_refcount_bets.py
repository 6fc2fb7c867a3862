"""The engine's refcount bets (src/native/refcount.hpp), each against a real server.

For each thing the engine reuses (the Request object, the stand-in that is
asyncio's current task, a dead Response's memory), a test keeps one the way
an app may, serves many more requests, then reads the kept one back: it
fails if the object was reused under its holder. Other tests count the
objects the engine made (_native._reuse_counts) to show that reuse does
happen when nothing keeps one, so a build that silently stops reusing shows
too. The CPython facts behind the bets are tested directly at the end.
test_request_lifetime.py reads a kept request's headers and body back.
"""

import asyncio
import sys
import sysconfig

import pytest
import uvloop
from conftest import ServerProcess, _checked, _session_server
from rawhttp import get, post

from lesto import Application, _native
from lesto._coro import EagerStep, Scheduler

FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))

_refcount_process = _session_server("refcount_app")


@pytest.fixture
def refcount_server(_refcount_process):
    """Handlers that keep requests, responses and stand-ins (apps/refcount_app.py)."""
    yield from _checked(_refcount_process)


def counts(conn):
    conn.send(get("/counts"))
    return conn.read_response().json()


def warm_counts(conn):
    """The counts once the server has made its first request, stand-in and Response."""
    conn.send(get("/async-plain/0") + get("/counts"))
    conn.read_responses(2)
    return counts(conn)


def made(before, after, name):
    return after[name] - before[name]


# ---- reuse happens when nothing keeps the object -----------------------------------------


def test_requests_and_responses_nobody_keeps_are_reused(refcount_server):
    with refcount_server.connect() as conn:
        before = warm_counts(conn)
        conn.send(b"".join(get(f"/plain/{i}?i={i}") for i in range(50)))
        bodies = [r.body for r in conn.read_responses(50)]
        after = counts(conn)
    assert bodies == [f"plain {i} i={i}".encode() for i in range(50)]
    # Made afresh, the 50 and the second /counts would be 51 of each.
    assert made(before, after, "requests_made") == (0 if before["reuse_objects"] else 51)
    assert made(before, after, "responses_made") == (0 if before["spare_responses"] else 51)


def test_stand_ins_nobody_keeps_are_reused(refcount_server):
    with refcount_server.connect() as conn:
        before = warm_counts(conn)
        conn.send(b"".join(get(f"/async-plain/{i}") + get(f"/async-yield/{i}") for i in range(25)))
        bodies = [r.body for r in conn.read_responses(50)]
        after = counts(conn)
    assert bodies == [b for i in range(25) for b in (f"async {i}".encode(), f"yielded {i}".encode())]
    # Without reuse: one per first step, and a coroutine that yields keeps its own.
    assert made(before, after, "steps_made") == (0 if before["reuse_objects"] else 50)
    # A suspended handler's request outlives its dispatch: the 25 that yielded
    # each took a new one; the others shared.
    assert made(before, after, "requests_made") == (25 if before["reuse_objects"] else 51)


def test_reuse_is_on_on_every_verified_default_build(refcount_server):
    with refcount_server.connect() as conn:
        now = counts(conn)
    assert now["spare_responses"] is not FREE_THREADED
    if FREE_THREADED:
        assert now["reuse_objects"] is False
    elif sys.version_info[:2] <= (3, 13):  # refcount.hpp: verified_through
        assert now["reuse_objects"] is True


# ---- a kept object is never reused under its holder ----------------------------------------


def many_other_requests(conn, count=100):
    conn.send(b"".join(post(f"/plain/{i}?i={i}", b"o" * 300, [("X-Tag", f"other {i}")])
                       for i in range(count)))
    conn.read_responses(count)


def test_a_kept_request_keeps_its_data_and_the_next_request_gets_a_new_object(refcount_server):
    with refcount_server.connect() as conn:
        before = warm_counts(conn)
        conn.send(post("/keep-request/first?q=1", b"kept body", [("X-Tag", "first")]))
        index = int(conn.read_response().body)
        many_other_requests(conn)
        after = counts(conn)
        conn.send(get(f"/kept-request/{index}"))
        kept = conn.read_response().json()
    assert kept == {
        "path": "/keep-request/first", "query_string": "q=1", "match_dict": {"tag": "first"},
        "tag": "first", "body": "kept body", "note": "note first", "extra": {"tag": "first"},
    }
    # The kept object went with its holder: the next request needed one more.
    assert made(before, after, "requests_made") == (1 if before["reuse_objects"] else 102)


def test_a_request_kept_only_by_a_traceback_keeps_its_data(refcount_server):
    with refcount_server.connect() as conn:
        conn.send(post("/raise-kept/boom?x=1", b"raised body", [("X-Tag", "boom")]))
        answer = conn.read_response()
        many_other_requests(conn)
        conn.send(get(f"/kept-error/{int(answer.body)}"))
        kept = conn.read_response().json()
    assert answer.status == 500
    assert kept == {
        "path": "/raise-kept/boom", "query_string": "x=1", "match_dict": {"tag": "boom"},
        "tag": "boom", "body": "raised body", "note": "raised", "extra": {},
    }


def test_a_kept_response_stays_intact_and_can_be_written_again(refcount_server):
    with refcount_server.connect() as conn:
        conn.send(get("/keep-response/one"))
        first = conn.read_response()
        index = first.header("X-Index")
        many_other_requests(conn)
        conn.send(get(f"/kept-response/{index}"))
        kept = conn.read_response().json()
        conn.send(get(f"/resend/{index}") + get(f"/resend/{index}"))
        again = conn.read_responses(2)
    assert (first.status, first.body, first.header("X-Tag")) == (201, b"kept one", "one")
    assert kept == {"code": 201, "text": "kept one", "headers": {"X-Tag": "one", "X-Index": index}}
    for r in again:
        assert (r.status, r.body, r.header("X-Tag")) == (201, b"kept one", "one")


@pytest.mark.parametrize("query", ["", "?yield", "?weakly", "?weakly,yield"],
                         ids=["returning", "yielding", "weakly", "weakly-yielding"])
def test_a_kept_stand_in_is_never_handed_to_another_handler(refcount_server, query):
    with refcount_server.connect() as conn:
        conn.send(get(f"/keep-step{query}"))
        index = int(conn.read_response().body)
        conn.send(b"".join(get("/step-check") + get("/cancel-own") for _ in range(25)))
        answers = conn.read_responses(50)
        conn.send(get(f"/kept-step/{index}"))
        kept = conn.read_response().json()
    assert [r.json() for r in answers[::2]] == [{"before": False, "after": False}] * 25
    assert [r.body for r in answers[1::2]] == [b"cancelled"] * 25
    # A cancel() of a later handler would show here had it run under this stand-in.
    # A weakly kept one may have been let go, but never reused.
    assert kept == {"cancelling": 0, "done": False} or ("weakly" in query and kept == {"gone": True})


def test_a_request_takes_no_weak_reference(refcount_server):
    # A weak reference is not counted: the engine could not see it (fact 2).
    assert refcount_server.exchange(get("/weak-request")).body == b"refused"


class WeakRequestServer(ServerProcess):
    def command(self):
        return [*super().command(), "weak"]


def test_a_request_class_that_takes_weak_references_is_refused(loop_name, server_log_dir):
    server = WeakRequestServer("refcount_app", loop_name, server_log_dir)
    server.start()
    try:
        answer = server.exchange(get("/plain/1"))
    finally:
        server.stop()
    assert answer.status == 500
    assert ("TypeError: request class WeakRequest takes weak references; the server reuses "
            "request objects, so it must not: give it __slots__ = ()") in server.log()


# ---- the CPython facts the bets rest on --------------------------------------------------


def test_requests_take_no_weak_references():
    for cls in (_native.Request, Application().request_class):
        assert cls.__weakrefoffset__ == 0, cls


def test_stand_ins_take_weak_references_as_anyio_needs():
    # anyio keys its task state on the current task in a WeakKeyDictionary;
    # the engine reads the list (refcount.hpp, fact 2).
    assert EagerStep.__weakrefoffset__ != 0


@pytest.mark.parametrize("new_loop", [asyncio.new_event_loop, uvloop.new_event_loop],
                         ids=["asyncio", "uvloop"])
def test_asyncio_current_task_record_holds_one_reference(new_loop):
    # Fact 3: the engine counts one reference for it while a stand-in is entered.
    loop = new_loop()
    scheduler = Scheduler(loop)
    step = EagerStep(loop)
    pairs = [(scheduler.enter_task, scheduler.leave_task)]
    for impl in ("_py", "_c"):
        enter = getattr(asyncio.tasks, f"{impl}_enter_task", None)
        if enter is not None:
            pairs.append((enter, getattr(asyncio.tasks, f"{impl}_leave_task")))
    deltas = []

    def measure():
        for enter, leave in pairs:
            base = sys.getrefcount(step)
            enter(loop, step)
            entered = sys.getrefcount(step)
            leave(loop, step)
            deltas.append((entered - base, sys.getrefcount(step) - base))

    try:
        loop.call_soon(measure)  # a callback: no task is current
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    assert deltas == [(1, 0)] * len(pairs)
