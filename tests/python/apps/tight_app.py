"""tight_app: the handlers app with tiny limits and a short keep-alive, so that pausing is routine.

Usage: python tight_app.py PORT. Reading pauses once 4 KiB of responses wait
to be sent, or 2 requests are in flight on a connection; an idle connection
is closed after 1 s. Chunk-size lines and trailer sections are bounded at 64
bytes.
"""

import sys

import applog
from handlers_app import make_app

LIMITS = {"max_output_buffer": 4096, "max_in_flight": 2, "max_chunk_line": 64,
          "max_trailer_bytes": 64}
TIMEOUTS = {"keep_alive": 1}

if __name__ == "__main__":
    applog.setup()
    make_app(limits=LIMITS, timeouts=TIMEOUTS).run(host="127.0.0.1", port=int(sys.argv[1]))
