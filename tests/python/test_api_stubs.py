"""The package's types: inline annotations, one stub for the C extension, checked against the runtime."""

import ast
import inspect
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import lesto
import lesto._native as native

PACKAGE = Path(lesto.__file__).parent
NATIVE_STUB = PACKAGE / "_native.pyi"


def run_mypy_tool(args, cwd):
    """Run a mypy tool on the installed lesto, from a directory with no mypy configuration."""
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_the_package_ships_py_typed_and_one_stub_for_the_extension():
    # A .pyi beside a .py module would hide its inline annotations from type checkers.
    assert (PACKAGE / "py.typed").exists()
    assert sorted(p.name for p in PACKAGE.glob("*.pyi")) == ["_native.pyi"]


def test_the_native_stub_matches_the_runtime(tmp_path):
    # stubtest imports lesto._native and compares each name of the stub with
    # the runtime object, both ways: classes, methods, properties, module
    # variables and, where the runtime exposes one, each signature
    # (parameter names, kinds, defaults).
    result = run_mypy_tool(["mypy.stubtest", "lesto._native"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def stub_functions():
    """(qualified name, runtime object) of every function and method the stub declares."""
    tree = ast.parse(NATIVE_STUB.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, getattr(native, node.name)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            cls = getattr(native, node.name)
            for item in node.body:
                if not isinstance(item, ast.FunctionDef):
                    continue
                decorators = {d.id for d in item.decorator_list if isinstance(d, ast.Name)}
                if "property" in decorators:
                    continue
                # __new__ is the class's signature; Request.Response is a
                # descriptor of its own, compared with lesto.Response below.
                if item.name == "__new__":
                    yield node.name, cls
                elif (node.name, item.name) != ("Request", "Response"):
                    yield f"{node.name}.{item.name}", getattr(cls, item.name)


def test_every_native_function_exposes_its_signature():
    """stubtest compares only what the runtime shows: each docstring carries a text signature."""
    functions = dict(stub_functions())
    assert {"check_route", "ServerConfig", "Server", "Server.add_listener",
            "Request.add_done_callback"} <= set(functions)
    hidden = []
    for name, runtime in functions.items():
        try:
            inspect.signature(runtime)
        except ValueError:
            hidden.append(name)
    assert not hidden, f"no text signature at run time (\"name(args)\\n--\\n\\n\" in the docstring): {hidden}"


def test_response_arguments_match():
    """Request.Response takes lesto.Response's arguments: japronto's by position too, in its order."""
    tree = ast.parse(NATIVE_STUB.read_text(encoding="utf-8"))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    parameters = inspect.signature(lesto.Response).parameters.values()
    positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
    keyword_only = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]
    for cls, name in (("Response", "__new__"), ("Request", "Response")):
        (method,) = [item for item in classes[cls].body
                     if isinstance(item, ast.FunctionDef) and item.name == name]
        assert [arg.arg for arg in method.args.args[1:]] == positional
        assert [arg.arg for arg in method.args.kwonlyargs] == keyword_only
    assert lesto.Response(**dict.fromkeys(positional + keyword_only)).code == 200  # None = default
    assert lesto.Response(*[None] * len(positional)).code == 200
    with pytest.raises(TypeError, match="by keyword"):
        lesto.Response(*[None] * (len(positional) + 1))
    assert lesto.Response(*positional[:1], 201).code == 201


def test_a_typed_app_checks_clean_against_the_installed_package(tmp_path):
    """What a user's type checker sees: the package's own annotations, through py.typed."""
    (tmp_path / "typed_app.py").write_text(textwrap.dedent("""\
        import asyncio

        from lesto import Application, Request, Response

        app = Application(limits={"max_body_bytes": 1024})


        async def hello(request: Request) -> Response:
            await asyncio.sleep(0)
            reveal_type(request.mime_type)
            reveal_type(request.form)
            reveal_type(request.headers.getall("Accept"))
            reveal_type(request.app)
            return request.Response(text="hi")


        @app.on_startup
        async def start(app: Application) -> None:
            pass


        reveal_type(app.router.add_route("/", hello, method="GET"))
        app.add_error_handler(ValueError, lambda request, exc: Response(code=400))
        """))
    result = run_mypy_tool(["mypy", "--strict", "--no-incremental", "typed_app.py"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # Older mypy spells builtins out: builtins.str.
    revealed = [line.split('Revealed type is "')[1].rstrip('"').replace("builtins.", "")
                for line in result.stdout.splitlines() if "Revealed type is" in line]
    assert revealed == [
        "str | None",
        "lesto.multidict.MultiDict[str] | None",
        "list[str]",
        "lesto.app.Application",
        "lesto.router.Route",
    ]
