"""records: what a test app recorded under an id (GET /record/{id}), fetched and waited for.

The streams and WebSocket apps record the fate of their producers and
handlers (pieces made, finally blocks run, close codes) under an id the
test chooses; these read it back over a real socket.
"""

import time
import uuid

from rawhttp import get


def fresh_id():
    return uuid.uuid4().hex[:12]


def fetch_record(server, key):
    with server.connect() as conn:
        conn.send(get(f"/record/{key}"))
        return conn.read_response().json()["record"]


def wait_record(server, key, predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        r = fetch_record(server, key)
        if r is not None and predicate(r):
            return r
        if time.monotonic() > deadline:
            raise AssertionError(f"record {key} never matched: {r}")
        time.sleep(0.02)
