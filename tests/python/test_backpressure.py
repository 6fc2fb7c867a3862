"""Backpressure: reading pauses on a full output buffer or many requests in flight, then resumes."""

from rawhttp import get


def test_pipelined_responses_beyond_the_output_buffer_all_arrive(tight_server):
    # Every 5000-byte response fills the 4 KiB output buffer on its own, so
    # reading pauses after each request and resumes after each send. All the
    # responses fit in the kernel's socket buffers: every send drains at once.
    count = 100
    with tight_server.connect() as conn:
        conn.send(b"".join(get(f"/big/{5000 + i}") for i in range(count)))
        responses = conn.read_responses(count)
    assert [len(r.body) for r in responses] == [5000 + i for i in range(count)]


def test_megabyte_responses_pipelined_all_arrive(handlers_server):
    sizes = [1_000_000 + i for i in range(6)]
    with handlers_server.connect() as conn:
        conn.send(b"".join(get(f"/big/{n}") for n in sizes) + get("/sync/end"))
        responses = conn.read_responses(len(sizes) + 1)
    for n, response in zip(sizes, responses):
        assert response.body == bytes([48 + n % 10]) * n
    assert responses[-1].body == b"sync end None"


def test_in_flight_limit_pauses_reading_and_resumes_as_async_handlers_finish(
        tight_server):
    # Two sleeping requests in flight at a time: the rest wait unparsed in the
    # socket, and are read as answers go out.
    count = 40
    with tight_server.connect() as conn:
        conn.send(b"".join(get(f"/sleep/{(7 * i) % 11}?id={i}") for i in range(count)))
        responses = conn.read_responses(count)
    assert [r.body for r in responses] == [
        f"slept {(7 * i) % 11} id={i}".encode() for i in range(count)
    ]


def test_in_flight_limit_with_requests_already_buffered(tight_server):
    # All requests arrive in the first read; only two may be parsed ahead.
    count = 30
    with tight_server.connect() as conn:
        conn.send(b"".join(get(f"/sleep/1?id={i}") for i in range(count)) + get("/sync/end"))
        responses = conn.read_responses(count + 1)
    assert [r.body for r in responses[:-1]] == [f"slept 1 id={i}".encode() for i in range(count)]
    assert responses[-1].body == b"sync end None"


def test_small_output_buffer_with_few_large_responses(tight_server):
    with tight_server.connect() as conn:
        conn.send(get("/big/300000") + get("/sync/1") + get("/big/70000"))
        big, small, other = conn.read_responses(3)
    assert len(big.body) == 300000 and small.body == b"sync 1 None" and len(other.body) == 70000
