"""No import cycles between the modules of one package, checked on the source with ``ast``.

The graph has one node per module of ``kernel_pkg/impulator`` (a package's ``__init__.py`` is
the node named as the package) and an edge ``a -> b`` when ``a`` imports ``b`` anywhere: at
the top, inside a function (the usual way to dodge a cycle), under ``TYPE_CHECKING``.
``import p.q`` and ``from p.q import x`` import ``p.q``; ``from p import q`` imports the
submodule ``p.q`` when there is one, else the package ``p`` (its ``__init__``).

A cycle counts when all its modules live in one package (one directory): two private modules
that need each other, or a module importing its own package's ``__init__``, which imports the
module back. A package's ``__init__`` importing its own submodules is the normal way to export
their names and alone makes no cycle. Imports between packages are not followed: a package
uses only the public names of others, at its own layer or below (``tests/test_layers.py``).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests._ast_imports import imports, modules, package_of

LIBRARY = Path(__file__).resolve().parents[1] / "kernel_pkg" / "impulator"


def graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of its own package (directory) it imports."""
    files = dict(modules(root))
    known = set(files)
    edges: dict[str, set[str]] = {}
    for module, file in files.items():
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        found = imports(tree, package_of(module, file), lambda b, n: f"{b}.{n}" in known)
        here = file.parent
        edges[module] = set()
        for _line, name in found:
            target = _module(name, known)
            if target is not None and target != module and files[target].parent == here:
                edges[module].add(target)
    return edges


def _module(name: str, known: set[str]) -> str | None:
    """The module ``name`` is, or the nearest package holding it (None: not ours)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One path per cycle found, first module repeated at the end (``[a, b, a]``)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
    return found


def check(root: Path) -> list[str]:
    """Each cycle among the modules of one package of ``root``, as ``a -> b -> a``."""
    return [" -> ".join(cycle) for cycle in cycles(graph(root))]


def test_no_module_imports_itself_back_through_its_package() -> None:
    found = check(LIBRARY)
    assert not found, "import cycles:\n" + "\n".join(found)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_is_found_with_its_path(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "a.py": "import pkg.b\n",
            "b.py": "def f():\n    from pkg import a  # inside a function: still a cycle\n",
        },
    )
    assert check(root) == ["pkg.a -> pkg.b -> pkg.a"]


def test_relative_and_package_imports_are_followed(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "from pkg._a import x\n",  # exporting: no cycle alone
            "_a.py": "from ._b import y\nx = 1\n",
            "_b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import _c\n",
            "_c.py": "from pkg import x\n",  # the package's __init__, which imports _a
            "sub/__init__.py": "from pkg.sub import _d\n",
            "sub/_d.py": "import pkg._a\n",  # another package: not this test's business
        },
    )
    assert check(root) == ["pkg -> pkg._a -> pkg._b -> pkg._c -> pkg"]


def test_a_package_exporting_its_modules_is_no_cycle(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "from pkg._a import x\nfrom pkg import _b\n",
            "_a.py": "from pkg._b import y\nx = 1\n",
            "_b.py": "import os\ny = 2\n",
        },
    )
    assert check(root) == []
