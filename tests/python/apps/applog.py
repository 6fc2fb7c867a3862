"""applog: the log format of the test apps; conftest splits a server's output into records by it."""

import json
import logging
import os

RECORD_PREFIX = "LOG "


def setup():
    logging.basicConfig(format=RECORD_PREFIX + "%(levelname)s %(name)s: %(message)s",
                        level=logging.INFO)


def run_options():
    """app.run's ssl_* options from TEST_TLS (JSON; tests/python/tls_helpers.py sets it), or none.

    The same app then serves HTTPS, so that a suite runs over TLS unchanged.
    """
    return json.loads(os.environ.get("TEST_TLS", "{}"))
