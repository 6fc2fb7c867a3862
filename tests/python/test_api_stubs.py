"""The type stubs ship with the package, parse, and name exactly what exists at run time."""

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import lesto

PACKAGE = Path(lesto.__file__).parent
STUBS = sorted(PACKAGE.glob("*.pyi"))


def stub_module_name(path):
    return "lesto" if path.stem == "__init__" else f"lesto.{path.stem}"


def stub_tree(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def class_members(node):
    """Names a stub class defines: methods, properties and annotated attributes."""
    names = set()
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(item.name)
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names.add(item.target.id)
    return names


def stub_classes(path):
    return {node.name: node for node in stub_tree(path).body if isinstance(node, ast.ClassDef)}


def public_names(cls):
    """Public names defined by `cls` itself (not inherited from object or a base)."""
    return {name for name in vars(cls) if not name.startswith("_")}


# Instances for the classes whose stubs declare attributes set in __init__.
SAMPLES = {
    "Application": lambda: lesto.Application(),
    "MethodNotAllowed": lambda: lesto.MethodNotAllowed("GET"),
    "Route": lambda: lesto.Route("/", print, (), ()),
}


def has(runtime, name):
    if hasattr(runtime, name):
        return True
    sample = SAMPLES.get(runtime.__name__)
    return sample is not None and hasattr(sample(), name)


def test_the_package_ships_its_stubs_and_py_typed():
    assert (PACKAGE / "py.typed").exists()
    assert {p.name for p in STUBS} >= {"__init__.pyi", "_native.pyi", "request.pyi", "app.pyi"}


@pytest.mark.parametrize("path", STUBS, ids=lambda p: p.name)
def test_every_stub_names_only_what_exists_at_run_time(path):
    module = importlib.import_module(stub_module_name(path))
    for node in stub_tree(path).body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("_"):
            continue  # a stub-only type (a Protocol describing what a function takes)
        if isinstance(node, ast.ClassDef):
            runtime = getattr(module, node.name, None)
            assert isinstance(runtime, type), f"{module.__name__}.{node.name} is not a class"
            for name in class_members(node):
                if name == "app" and node.name == "Request":
                    continue  # set on each Application's subclass
                assert has(runtime, name), f"{module.__name__}.{node.name}.{name} is missing"
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert callable(getattr(module, node.name, None)), f"{module.__name__}.{node.name}"
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            assert hasattr(module, node.target.id), f"{module.__name__}.{node.target.id}"


@pytest.mark.parametrize("module_name, class_name", [
    ("lesto._native", "Request"),
    ("lesto._native", "Response"),
    ("lesto._native", "Server"),
    ("lesto._native", "ServerConfig"),
    ("lesto.request", "Request"),
    ("lesto.app", "Application"),
    ("lesto.router", "Router"),
    ("lesto.headers", "Headers"),
])
def test_every_public_runtime_name_is_in_the_stub(module_name, class_name):
    path = PACKAGE / (module_name.rpartition(".")[2] + ".pyi")
    runtime = getattr(importlib.import_module(module_name), class_name)
    missing = public_names(runtime) - class_members(stub_classes(path)[class_name])
    assert not missing, f"{module_name}.{class_name} has {sorted(missing)} not in {path.name}"


def test_native_functions_are_in_the_stub():
    import lesto._native as native

    body = stub_tree(PACKAGE / "_native.pyi").body
    stubbed = {node.name for node in body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    stubbed |= {node.target.id for node in body
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)}
    public = {name for name in vars(native) if not name.startswith("_")}
    assert public <= stubbed, sorted(public - stubbed)


def test_root_all_matches():
    tree = stub_tree(PACKAGE / "__init__.pyi")
    (stub_all,) = [ast.literal_eval(node.value) for node in tree.body
                   if isinstance(node, ast.Assign) and node.targets[0].id == "__all__"]
    assert sorted(stub_all) == sorted(lesto.__all__)
    for name in lesto.__all__:
        assert hasattr(lesto, name)


def test_response_arguments_match():
    """The stubs' order is japronto's, the one the runtime takes by position."""
    stubs = [(stub_classes(PACKAGE / "_native.pyi")[cls], name)
             for cls, name in (("Response", "__new__"), ("Request", "Response"))]
    for cls, name in stubs:
        (method,) = [item for item in cls.body
                     if isinstance(item, ast.FunctionDef) and item.name == name]
        names = [arg.arg for arg in method.args.args[1:]]
        keyword_only = [arg.arg for arg in method.args.kwonlyargs]
        runtime = inspect.signature(lesto.Response).parameters.values()
        assert names == [p.name for p in runtime if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert keyword_only == [p.name for p in runtime if p.kind is p.KEYWORD_ONLY]
    assert lesto.Response(**dict.fromkeys(names + keyword_only)).code == 200  # None = default
    assert lesto.Response(*[None] * len(names)).code == 200
    with pytest.raises(TypeError, match="by keyword"):
        lesto.Response(*[None] * (len(names) + 1))
    assert lesto.Response(*names[:1], 201).code == 201
