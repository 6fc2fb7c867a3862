"""Pipelining, generated: random mixes of sync, async and failing handlers on one connection.

Hypothesis draws a sequence of requests (sync handlers, async ones that
never suspend, that yield once with sleep(0), that sleep a few milliseconds,
that read their body after sleeping, and ones that raise or miss every
route), writes it pipelined on one connection in random pieces, and checks
that each response comes back in request order with the body its request
asked for. Whatever the mix, the engine must hold a finished later response
until every earlier one is written.
"""

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rawhttp import get, post

KINDS = ("sync", "async", "sleep", "late", "raise", "raise-async", "missing")


def build(kind, i, ms, body):
    """(request bytes, (status, body)) for request number `i` of kind `kind`.

    The body expected is bytes, or for "late" a dict of what its JSON must
    hold, or None where only the status is checked (the error pages).
    """
    tag = f"id={i}"
    if kind == "sync":
        return get(f"/sync/{i}?{tag}"), (200, f"sync {i} {tag}".encode())
    if kind == "async":
        return get(f"/async/{i}?{tag}"), (200, f"async {i} {tag}".encode())
    if kind == "sleep":  # ms == 0: the coroutine yields once without awaiting a future
        return get(f"/sleep/{ms}?{tag}"), (200, f"slept {ms} {tag}".encode())
    if kind == "late":  # reads its request only after sleeping: the data must outlive the read
        summary = {"query_string": tag, "body_sha256": hashlib.sha256(body).hexdigest()}
        return post(f"/late/{ms}?{tag}", body), (200, summary)
    if kind == "raise":
        return get(f"/raise?{tag}"), (500, None)
    if kind == "raise-async":
        return get(f"/raise-async?{tag}"), (500, None)
    return get(f"/missing/{i}?{tag}"), (404, None)


requests = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 15), st.binary(max_size=300)),
    min_size=1, max_size=40,
)


@given(drawn=requests, cuts=st.lists(st.integers(1, 1 << 14), max_size=8))
@settings(max_examples=50, deadline=None,
          # handlers_server only brackets the server-log check around this test;
          # the server process is the session's, shared by every example on purpose.
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_pipelined_mix_is_answered_in_request_order(handlers_server, drawn, cuts):
    handlers_server.expect_traceback("IntentionalError")
    built = [build(kind, i, ms, body) for i, (kind, ms, body) in enumerate(drawn)]
    data = b"".join(request for request, _ in built)
    with handlers_server.connect() as conn:
        start = 0
        for cut in sorted(cuts) + [len(data)]:
            conn.send(data[start:cut])
            start = max(start, cut)
        responses = conn.read_responses(len(built))
        assert conn.buffer == b""
    for (_, (status, expected)), (kind, _, _), response in zip(built, drawn, responses):
        assert response.status == status, (kind, response)
        if kind == "late":
            summary = response.json()
            assert {name: summary[name] for name in expected} == expected, (kind, summary)
        elif expected is not None:
            assert response.body == expected, (kind, response)
