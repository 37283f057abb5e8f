"""Reading a package's imports with ``ast``: shared by the layer and the import-cycle tests.

Every import statement counts, wherever it is: at the top, inside a function, under
``TYPE_CHECKING``. Relative imports are resolved against the module's package.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

#: ``(package imported from, name imported)`` -> whether ``package.name`` counts as an import
#: of its own, for ``from package import name``.
Submodule = Callable[[str, str], bool]


def modules(root: Path) -> Iterator[tuple[str, Path]]:
    """``(dotted module name, file)`` of every module under the package directory ``root``
    (a package's ``__init__.py`` is named as the package)."""
    for file in sorted(root.rglob("*.py")):
        parts = list(file.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join([root.name, *parts]), file


def package_of(module: str, file: Path) -> str:
    """The package relative imports in ``file`` (module ``module``) are resolved against."""
    return module if file.name == "__init__.py" else module.rpartition(".")[0]


def imports(tree: ast.AST, package: str, submodule: Submodule) -> list[tuple[int, str]]:
    """Every imported module name, with its line: absolute ones as written, relative ones
    resolved against ``package``. ``from X import name`` imports ``X.name`` when ``submodule``
    says it is a module of its own, else ``X`` (Python has loaded the package ``X`` before any
    of its modules anyway)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            subs = [f"{base}.{a.name}" for a in node.names if submodule(base, a.name)]
            if len(subs) < len(node.names):
                found.append((node.lineno, base))
            found.extend((node.lineno, name) for name in subs)
    return found
