"""Pipelining: many requests in one write, answered in request order whatever the handlers do."""

from rawhttp import get, post


def test_200_pipelined_requests_in_one_write_answered_in_order(handlers_server):
    requests = b"".join(get(f"/sync/{i}?id=r{i}") for i in range(200))
    with handlers_server.connect() as conn:
        conn.send(requests)
        responses = conn.read_responses(200)
        assert [r.body for r in responses] == [f"sync {i} id=r{i}".encode() for i in range(200)]
        assert all(r.status == 200 for r in responses)
        assert conn.buffer == b""


def test_200_pipelined_async_sleeps_descending_still_answered_in_request_order(handlers_server):
    # Later requests sleep less, so their handlers finish first: the server
    # must hold their responses until the earlier ones are sent.
    count = 200
    sleeps = [count - i for i in range(count)]  # 200 ms down to 1 ms
    requests = b"".join(get(f"/sleep/{ms}?id={i}") for i, ms in enumerate(sleeps))
    with handlers_server.connect() as conn:
        conn.send(requests)
        responses = conn.read_responses(count)
    assert [r.body for r in responses] == [
        f"slept {ms} id={i}".encode() for i, ms in enumerate(sleeps)
    ]


def test_pipelined_mix_of_sync_async_and_sleeping_handlers_in_order(handlers_server):
    kinds = []
    requests = []
    for i in range(200):
        if i % 4 == 0:
            path, expected = f"/sleep/{(i * 7) % 31}?id={i}", f"slept {(i * 7) % 31} id={i}"
        elif i % 4 == 1:
            path, expected = f"/async/{i}?id={i}", f"async {i} id={i}"
        else:
            path, expected = f"/sync/{i}?id={i}", f"sync {i} id={i}"
        requests.append(get(path))
        kinds.append(expected.encode())
    with handlers_server.connect() as conn:
        conn.send(b"".join(requests))
        responses = conn.read_responses(len(requests))
    assert [r.body for r in responses] == kinds


def test_pipelined_requests_with_bodies_answered_in_order(echo_server):
    bodies = [bytes([65 + i % 26]) * (i * 37) for i in range(60)]
    requests = b"".join(post(f"/echo/{i}/b", body) for i, body in enumerate(bodies))
    with echo_server.connect() as conn:
        conn.send(requests)
        infos = [r.json() for r in conn.read_responses(len(bodies))]
    assert [info["match_dict"]["first"] for info in infos] == [str(i) for i in range(len(bodies))]
    assert [info["body_length"] for info in infos] == [len(b) for b in bodies]


def test_pipelined_batches_beyond_the_in_flight_limit_are_all_answered(handlers_server):
    # More requests than the engine parses ahead (128 in flight by default),
    # all sleeping: reading must pause and resume, losing nothing.
    count = 300
    requests = b"".join(get(f"/sleep/{i % 3}?id={i}") for i in range(count))
    with handlers_server.connect() as conn:
        conn.send(requests)
        responses = conn.read_responses(count)
    assert [r.body for r in responses] == [f"slept {i % 3} id={i}".encode() for i in range(count)]


def test_pipelined_requests_split_across_writes_mid_request(handlers_server):
    requests = b"".join(get(f"/async/{i}?id={i}") for i in range(50))
    with handlers_server.connect() as conn:
        # Cut the stream at awkward places: inside request lines and headers.
        cuts = [0, 7, 100, 101, 333, 900, len(requests)]
        for a, b in zip(cuts, cuts[1:]):
            conn.send(requests[a:b])
        responses = conn.read_responses(50)
    assert [r.body for r in responses] == [f"async {i} id={i}".encode() for i in range(50)]


def test_client_closing_while_async_handlers_sleep_does_not_disturb_the_server(handlers_server):
    with handlers_server.connect() as conn:
        conn.send(b"".join(get(f"/sleep/{50 + i}?id={i}") for i in range(10)))
    # The connection is gone with ten handlers pending; the server still serves.
    with handlers_server.connect() as conn:
        conn.send(get("/sleep/100?id=after"))
        assert conn.read_response().body == b"slept 100 id=after"


def test_malformed_request_after_pending_async_ones_is_answered_after_them(handlers_server):
    # The 400 must wait for the responses owed before it, then close.
    with handlers_server.connect() as conn:
        conn.send(get("/sleep/60?id=0") + get("/sleep/30?id=1") + get("/sync/2")
                  + b"BROKEN REQUEST LINE\r\n\r\n" + get("/sync/never"))
        responses = conn.read_responses(4)
        assert [r.status for r in responses] == [200, 200, 200, 400]
        assert [r.body for r in responses[:3]] == [b"slept 60 id=0", b"slept 30 id=1",
                                                   b"sync 2 None"]
        assert responses[3].header("Connection") == "close"
        conn.assert_closed()


def test_connection_close_behind_pending_async_requests_closes_after_its_response(
        handlers_server):
    with handlers_server.connect() as conn:
        conn.send(get("/sleep/50?id=0") + get("/sleep/10?id=1", [("Connection", "close")])
                  + get("/sync/never"))
        first, last = conn.read_responses(2)
        assert first.body == b"slept 50 id=0" and first.header("Connection") is None
        assert last.body == b"slept 10 id=1" and last.header("Connection") == "close"
        conn.assert_closed()


def test_expect_100_continue_behind_a_pending_async_response(handlers_server):
    # The 100 may not overtake the owed response, but must follow it: the
    # client sends its body only after the 100.
    body = b"body after continue"
    head = get("/late/1?e=1", [("Expect", "100-continue"), ("Content-Length", str(len(body)))],
               method="PUT")
    with handlers_server.connect() as conn:
        conn.send(get("/sleep/50?id=first") + head)
        first = conn.read_response()
        assert first.body == b"slept 50 id=first"
        interim = conn.read_response()
        assert interim.status == 100
        conn.send(body)
        final = conn.read_response()
    assert final.status == 200
    assert final.json()["query_string"] == "e=1"
