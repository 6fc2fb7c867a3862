"""tls_app: what a request learns of its connection's TLS, for test_tls.py.

Usage: python tls_app.py PORT, with app.run's ssl_* options in TEST_TLS
(applog.run_options). Logs at debug (failed handshakes are debug lines) and
gives a handshake one second (TLS_HANDSHAKE_TIMEOUT), so that a stalled
client is closed while the test waits.
"""

import logging
import os
import sys

import applog

from lesto import Application

app = Application(timeouts={"tls_handshake": int(os.environ.get("TLS_HANDSHAKE_TIMEOUT", "1"))})


def whoami(request):
    return request.Response(json={"scheme": request.scheme, "tls": request.tls,
                                  "remote_addr": request.remote_addr})


app.router.add_route("/", whoami)

if __name__ == "__main__":
    applog.setup()
    logging.getLogger("lesto").setLevel(logging.DEBUG)
    app.run(host="127.0.0.1", port=int(sys.argv[1]), **applog.run_options())
