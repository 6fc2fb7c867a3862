"""python -m lesto module:app — run an application from the command line."""

import argparse
import importlib
import sys


def load_app(spec):
    """Import 'module:attr' (or japronto's 'module.attr') and return the Application."""
    from .app import Application

    if ":" in spec:
        module_name, _, attr = spec.partition(":")
    else:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr:
        raise SystemExit(f"lesto: app spec {spec!r} must look like 'module:app'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            raise SystemExit(f"lesto: no module named {module_name!r}") from None
        raise
    try:
        app = getattr(module, attr)
    except AttributeError:
        raise SystemExit(f"lesto: module {module_name!r} has no attribute {attr!r}") from None
    if not isinstance(app, Application):
        raise SystemExit(f"lesto: {spec!r} is a {type(app).__name__}, not a lesto.Application")
    return app


def main(argv=None):
    parser = argparse.ArgumentParser(prog="lesto", description="Run a Lesto application.")
    parser.add_argument("app", help="the application, as module:attribute")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, ".")
    app = load_app(args.app)
    app.run(host=args.host, port=args.port, debug=args.debug or None)


if __name__ == "__main__":
    main()
