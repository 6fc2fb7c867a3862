"""dual_app: one process serving a plain and a TLS port at once, through the engine's own API.

Usage: python dual_app.py PLAIN_PORT TLS_PORT, the TLS port's ssl_* options in
TEST_TLS (applog.run_options). app.run() binds one address; the engine
takes any number of listeners, each with its own TLS context or none
(Server.add_listener(fd, tls=...)), which this app shows.
"""

import os
import signal
import sys

import applog

from lesto import Application
from lesto.server import bind, make_engine, new_event_loop
from lesto.tls import options

app = Application()
app.router.add_route("/", lambda request: request.Response(json={"scheme": request.scheme}))


def main():
    applog.setup()
    loop = app.loop = new_event_loop()
    engine = make_engine(app, loop)
    context = options(**applog.run_options()).load()
    for port, tls in ((int(sys.argv[1]), None), (int(sys.argv[2]), context)):
        sock = bind("127.0.0.1", port)
        engine.add_listener(os.dup(sock.fileno()), tls=tls)
        sock.close()
    loop.add_reader(engine.fileno(), engine.poll)

    def tick():
        engine.tick()
        loop.call_later(1.0, tick)

    loop.call_later(1.0, tick)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    print("serving", flush=True)
    loop.run_forever()
    engine.close()
    loop.close()


if __name__ == "__main__":
    main()
