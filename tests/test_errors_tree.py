"""errors.py's tree lists every error chiso raises on purpose, and every error class lives there."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re

import chiso
from chiso import errors
from paths import ROOT

SRC = ROOT / "src" / "chiso"


def _modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(chiso.__path__, "chiso.") if not m.name.endswith("__main__")]


def test_every_error_class_is_defined_in_errors_py() -> None:
    """Exception classes are defined in errors.py only (one home), wherever they are raised."""
    elsewhere = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "errors.py" and path.parent == SRC:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                re.search(r"(Error|Exception|Problem|Denied|LoggedIn)$", ast.unparse(b)) for b in node.bases
            ):
                elsewhere.append(f"{path.relative_to(ROOT)}: class {node.name}")
    assert not elsewhere, "error classes outside chiso/errors.py:\n" + "\n".join(elsewhere)


def test_the_tree_names_every_error() -> None:
    tree = errors.__doc__ or ""
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, Exception) and c.__module__ == errors.__name__]
    assert classes
    unnamed = [c.__name__ for c in classes if not re.search(rf"\b{c.__name__}\b", tree)]
    assert not unnamed, f"errors.py's tree does not list: {unnamed}"


def test_the_tree_shows_each_errors_parent() -> None:
    """Indentation in the tree is the class hierarchy: a listed error sits under its base class."""
    lines = [ln for ln in (errors.__doc__ or "").splitlines() if re.search(r"[A-Z]\w+(Error|Denied|Problem)\b", ln)]
    depth = {}
    for ln in lines:
        m = re.search(r"([A-Z]\w+)", ln)
        assert m
        depth[m.group(1)] = m.start()
    for name, col in depth.items():
        cls = getattr(errors, name, None)
        assert cls is not None, f"the tree names {name}, which errors.py does not define"
        if name == "ChisoError" or not issubclass(cls, errors.ChisoError):
            continue
        parent = cls.__mro__[1].__name__
        assert parent in depth and depth[parent] < col, f"{name} is not drawn under {parent}"


def test_every_raised_chiso_error_is_importable_from_errors() -> None:
    """Every ``raise X(...)`` of a chiso error names a class of errors.py (imported, not redefined)."""
    for name in _modules():
        mod = importlib.import_module(name)
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if issubclass(cls, errors.ChisoError):
                assert cls.__module__ == errors.__name__, f"{name}: {cls.__name__} is defined in {cls.__module__}"
