"""Request data outliving the read buffer: async handlers reading late, requests kept by the app."""

import hashlib

from rawhttp import chunked, get, post


def expected_summary(method, path, query, headers, body, match_dict):
    return {
        "method": method,
        "path": path,
        "query_string": query,
        "headers": [list(h) for h in headers],
        "body_sha256": None if body is None else hashlib.sha256(body).hexdigest(),
        "match_dict": match_dict,
    }


def test_async_handlers_read_their_request_after_later_requests_arrived(handlers_server):
    # Each handler sleeps before touching its request, while the requests
    # pipelined after it are parsed into the same connection buffer.
    count = 30
    sent, expected = [], []
    for i in range(count):
        ms = (count - i) * 3
        body = bytes([97 + i % 26]) * (i * 101)
        headers = [("X-Index", str(i)), ("X-Pad", "p" * (i * 13))]
        sent.append(post(f"/late/{ms}?i={i}", body, headers))
        expected.append(expected_summary(
            "POST", f"/late/{ms}", f"i={i}",
            [("Host", "localhost"), *headers, ("Content-Length", str(len(body)))],
            body, {"ms": str(ms)}))
    with handlers_server.connect() as conn:
        conn.send(b"".join(sent))
        got = [r.json() for r in conn.read_responses(count)]
    assert got == expected


def test_async_handler_reads_a_chunked_body_after_sleeping(handlers_server):
    chunks = [b"x" * 1000, b"y" * 3000, b"z"]
    request = chunked("/late/30?c=1", chunks, trailers=[("X-T", "1")])
    with handlers_server.connect() as conn:
        conn.send(request + get("/sync/1"))
        late, after = conn.read_responses(2)
    assert late.json()["body_sha256"] == hashlib.sha256(b"".join(chunks)).hexdigest()
    assert late.json()["query_string"] == "c=1"
    assert after.body == b"sync 1 None"


def test_request_kept_by_the_app_still_reads_right_after_many_more_requests(handlers_server):
    body = b"kept body \x00\xff"
    headers = [("X-Kept", "yes, this one")]
    with handlers_server.connect() as conn:
        conn.send(post("/keep?k=v", body, headers))
        index = int(conn.read_response().body)
        # Reuse the connection's buffers many times over before reading back.
        conn.send(b"".join(post(f"/sync/{i}?i={i}", b"o" * 500) for i in range(100)))
        conn.read_responses(100)
        conn.send(get(f"/kept/{index}"))
        summary = conn.read_response().json()
    assert summary == expected_summary(
        "POST", "/keep", "k=v",
        [("Host", "localhost"), *headers, ("Content-Length", str(len(body)))],
        body, {})


def test_request_kept_by_the_app_survives_its_connection(handlers_server):
    with handlers_server.connect() as conn:
        conn.send(get("/keep?gone=1", [("X-Gone", "1")]))
        index = int(conn.read_response().body)
    summary = handlers_server.exchange(get(f"/kept/{index}"))
    assert summary.json()["query_string"] == "gone=1"
    assert ["X-Gone", "1"] in summary.json()["headers"]
