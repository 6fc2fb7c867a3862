"""applog: the log format of the test apps; conftest splits a server's output into records by it."""

import logging

RECORD_PREFIX = "LOG "


def setup():
    logging.basicConfig(format=RECORD_PREFIX + "%(levelname)s %(name)s: %(message)s",
                        level=logging.INFO)
