"""ops_reload_app: an app whose handler lives in another module, for the reload tests to edit.

The tests copy this file and ops_reload_handlers.py into a temporary
directory, run `lesto ops_reload_app:app --reload` there, and rewrite the
handlers module. Run as a script (`python ops_reload_app.py PORT`), it
serves through app.run(reload=True).
"""

import sys

from ops_reload_handlers import hello

from lesto import Application

app = Application()
app.router.add_route("/", hello)

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), reload=True, grace_period=5)
