"""The command line: `lesto module:app [options]`, also `python -m lesto`."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import runpy
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from . import __version__, logs, proxy, stop_signals, tls, workers
from .server import DEFAULT_GRACE_PERIOD

if TYPE_CHECKING:
    from .app import Application

EXIT_USAGE = 2  # argparse's own code for a malformed command line
EXIT_NO_APP = 1


class AppSpecError(Exception):
    """The app spec names nothing that is an Application; `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_NO_APP) -> None:
        super().__init__(message)
        self.code = code


def split_spec(spec: str) -> tuple[str, str]:
    """'module:attr' or japronto's 'module.attr' -> (module, attr); attr may be dotted with ':'."""
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
    else:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr or ":" in attr:
        raise AppSpecError(f"app {spec!r} must look like 'module:attribute'", EXIT_USAGE)
    return module_name, attr


def _missing(exc: ModuleNotFoundError, module_name: str) -> bool:
    """Whether ModuleNotFoundError `exc` is about `module_name` itself or a package of it.

    Else a module that exists failed to import another one: the app's error,
    shown with its traceback.
    """
    return exc.name is not None and (exc.name == module_name
                                     or module_name.startswith(exc.name + "."))


def load_app(spec: str, *, interface: str = "lesto", factory: bool = False,
             lifespan: str = "auto", root_path: str = "") -> Application:
    """Import 'module:attr' (or 'module.attr') and return the Application that serves it.

    The attribute is a Lesto Application or an ASGI app (`interface` says
    which: 'lesto', 'asgi', or 'auto' to tell by its type; an ASGI app is
    wrapped in an AsgiApplication). `factory`: the attribute is called with
    no arguments to make the app. An app.run() the module calls at import is
    ignored (see app.importing_for_cli).
    """
    from .app import Application, importing_for_cli
    from .asgi import as_application

    module_name, attr = split_spec(spec)
    importing = importing_for_cli.set(True)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if _missing(exc, module_name):
            raise AppSpecError(f"cannot import {module_name!r}: no module named {exc.name!r} "
                               f"(looked in {os.getcwd()} and sys.path)") from None
        raise
    finally:
        importing_for_cli.reset(importing)
    app: object = module
    for part in attr.split("."):
        try:
            app = getattr(app, part)
        except AttributeError:
            raise AppSpecError(f"module {module_name!r} has no attribute {attr!r}") from None
    if factory:
        if not callable(app):
            raise AppSpecError(f"--factory: {spec!r} is {type(app).__name__!r}, not callable")
        app = app()
    if interface == "lesto" and not isinstance(app, Application):
        raise AppSpecError(f"{spec!r} is {type(app).__name__!r}, not a lesto.Application "
                           "(an ASGI app? pass --interface asgi or auto)")
    if not isinstance(app, Application) and not callable(app):
        raise AppSpecError(f"{spec!r} is {type(app).__name__!r}: neither a lesto.Application "
                           "nor an ASGI app (a callable)")
    try:
        return as_application(app, interface=interface, lifespan=lifespan, root_path=root_path)
    except TypeError as exc:
        raise AppSpecError(f"{spec!r}: {exc}") from None


def check_module_exists(spec: str) -> None:
    """Without importing it: does the app's top-level module exist? (reload mode's master)."""
    module_name, _ = split_spec(spec)
    top = module_name.partition(".")[0]
    if importlib.util.find_spec(top) is None:
        raise AppSpecError(f"cannot import {module_name!r}: no module named {top!r} "
                           f"(looked in {os.getcwd()} and sys.path)")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, got {text}")
    return value


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lesto",
        description="Run a Lesto application. SIGTERM or Ctrl-C stops it gracefully "
                    "(twice: at once); SIGHUP to the master replaces its workers one at a time.",
    )
    parser.add_argument("app", help="the application: module:attribute (or module.attribute); "
                                    "with --script, a Python file")
    parser.add_argument("--interface", choices=("auto", "asgi", "lesto"), default="auto",
                        help="what APP is: a Lesto Application or an ASGI 3 app "
                             "(default: %(default)s, told by its type)")
    parser.add_argument("--factory", action="store_true",
                        help="APP is a function that makes the app: call it with no arguments")
    parser.add_argument("--lifespan", choices=("auto", "on", "off"), default="auto",
                        help="ASGI lifespan: auto runs it when the app supports it; on "
                             "requires it; off skips it (default: %(default)s)")
    parser.add_argument("--root-path", default="", metavar="PATH",
                        help="ASGI root_path: the prefix the app is mounted at behind a proxy")
    parser.add_argument("--host", default="0.0.0.0",
                        help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8080, help="port (default: %(default)s)")
    parser.add_argument("--workers", "--worker-num", type=positive_int, metavar="N",
                        help="run a master supervising N worker processes "
                             "(default: serve in this process); --worker-num is japronto's name")
    parser.add_argument("--reload", action="store_true",
                        help="replace the workers when a *.py file changes (development)")
    parser.add_argument("--reload-dir", action="append", metavar="DIR",
                        help="directory to watch with --reload, repeatable "
                             "(default: the working directory)")
    parser.add_argument("--debug", action="store_true",
                        help="tracebacks in 500 responses; access log unless --no-access-log")
    parser.add_argument("--log-level", choices=logs.LEVELS, default=None,
                        help="level of the 'lesto' loggers (default: info)")
    parser.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=None,
                        help="log one line per request to 'lesto.access' (default: with --debug)")
    parser.add_argument("--proxy-headers", action="store_true",
                        help="take request.remote_addr and request.scheme from X-Forwarded-For "
                             "and X-Forwarded-Proto sent by a trusted proxy")
    parser.add_argument("--forwarded-allow-ips", default=proxy.DEFAULT_ALLOW_IPS, metavar="IPS",
                        help="comma list of the proxies' addresses or networks trusted with "
                             "--proxy-headers, '*' for any (default: %(default)s)")
    parser.add_argument("--grace-period", type=seconds, default=DEFAULT_GRACE_PERIOD,
                        metavar="SECONDS",
                        help="on SIGTERM, how long requests already received may take to finish; "
                             "those still running then get 503 (default: %(default)g)")
    https = parser.add_argument_group(
        "HTTPS", "serve HTTPS instead of HTTP: the engine speaks TLS itself (uvicorn's names)")
    https.add_argument("--ssl-certfile", metavar="PATH",
                       help="the server's certificate, then its chain, in PEM")
    https.add_argument("--ssl-keyfile", metavar="PATH",
                       help="its private key in PEM (default: in --ssl-certfile)")
    https.add_argument("--ssl-keyfile-password", metavar="PASSWORD",
                       help="the password of an encrypted --ssl-keyfile")
    https.add_argument("--ssl-ca-certs", metavar="PATH",
                       help="CA certificates in PEM that client certificates are checked against")
    https.add_argument("--ssl-cert-reqs", default="none", metavar="{none,optional,required}",
                       help="whether clients must show a certificate issued by --ssl-ca-certs "
                            "(mutual TLS); also 0, 1, 2 as uvicorn takes (default: %(default)s)")
    https.add_argument("--ssl-ciphers", metavar="CIPHERS",
                       help="TLS 1.2 ciphers in OpenSSL's syntax (default: ECDHE with AES-GCM or "
                            "ChaCha20-Poly1305; TLS 1.3's are all modern)")
    https.add_argument("--ssl-min-version", default=tls.DEFAULT_MIN_VERSION,
                       choices=tls.MIN_VERSIONS,
                       help="the oldest protocol version accepted (default: %(default)s)")
    parser.add_argument("--script", action="store_true",
                        help="run the file APP as `python APP` would: its own app.run() call "
                             "serves, with the arguments it gives (japronto's --script)")
    parser.add_argument("--version", action="version", version=f"lesto {__version__}")
    return parser


# What app.run() takes: with --script, the script's own call gives these.
TLS_OPTIONS = ("ssl_certfile", "ssl_keyfile", "ssl_keyfile_password", "ssl_ca_certs",
               "ssl_cert_reqs", "ssl_ciphers", "ssl_min_version")
RUN_OPTIONS = ("host", "port", "workers", "reload", "reload_dir", "debug", "access_log",
               "proxy_headers", "forwarded_allow_ips", "grace_period", *TLS_OPTIONS)


def run_script(parser: argparse.ArgumentParser, args: argparse.Namespace) -> NoReturn:
    """--script: run the file args.app as the program, as `python FILE` would; never returns."""
    given = [name for name in RUN_OPTIONS if getattr(args, name) != parser.get_default(name)]
    if given:
        options = ", ".join("--" + name.replace("_", "-") for name in given)
        parser.error(f"{options}: with --script, the script's app.run(...) call sets these; "
                     "pass them to it instead")
    path = os.path.abspath(args.app)
    if not os.path.isfile(path):
        print(f"lesto: error: script {args.app!r} not found (in {os.getcwd()})", file=sys.stderr)
        sys.exit(EXIT_NO_APP)
    sys.argv = [args.app]
    sys.path.insert(0, os.path.dirname(path))  # as for `python FILE`: the script's directory
    runpy.run_path(path, run_name="__main__")
    sys.exit(0)


def main(argv: Sequence[str] | None = None) -> None:
    # First of all: a SIGTERM or Ctrl-C from now on stops the server gracefully,
    # even before it serves (lesto.stop_signals).
    stop_signals.catch()
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        proxy.parse_allow_ips(args.forwarded_allow_ips)
        tls_options = tls.options(*(getattr(args, name) for name in TLS_OPTIONS))
    except ValueError as exc:
        parser.error(str(exc))
    logs.configure(args.log_level)
    if args.script:
        run_script(parser, args)
    sys.path.insert(0, os.getcwd())
    try:
        if args.reload and workers.WORKER_ENV not in os.environ:
            # The master of reload mode never imports the app: each worker
            # does, so that new code never breaks the master.
            check_module_exists(args.app)
            sys.exit(workers.run(None, args.host, args.port, worker_num=args.workers,
                                 reload=True, grace_period=args.grace_period,
                                 reload_dirs=args.reload_dir or [os.getcwd()], tls=tls_options))
        app = load_app(args.app, interface=args.interface, factory=args.factory,
                       lifespan=args.lifespan, root_path=args.root_path)
    except AppSpecError as exc:
        print(f"lesto: error: {exc}", file=sys.stderr)
        sys.exit(exc.code)
    app.run(host=args.host, port=args.port, worker_num=args.workers, reload=args.reload,
            debug=args.debug or None, access_log=args.access_log,
            grace_period=args.grace_period, proxy_headers=args.proxy_headers,
            forwarded_allow_ips=args.forwarded_allow_ips,
            reload_dirs=args.reload_dir or [os.getcwd()],
            **{name: getattr(args, name) for name in TLS_OPTIONS})
