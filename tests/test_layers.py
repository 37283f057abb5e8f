"""The library's layer boundary, checked on the source with ``ast``.

Every module under ``kernel_pkg/impulator`` is parsed (imports inside functions and under
``TYPE_CHECKING`` included). A package may import only its own private modules and the public
names of other packages, only packages of its own layer or below, and ``chem``/``science`` import
no I/O library. The root package's modules (``impulator._errors``, ``_version``, ``_urls``,
``config``) are open to every package.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from tests._ast_imports import imports, modules, package_of

LIBRARY = Path(__file__).resolve().parents[1] / "kernel_pkg" / "impulator"

#: Layer of each subpackage: a package may import packages of the same or a lower number.
LAYERS: dict[str, int] = {
    "cli": 4,
    "api": 4,
    "ui": 4,
    "hub": 4,
    "jobs": 3,
    "store": 3,
    "exports": 3,
    "batch": 3,
    "teach": 3,
    "pipeline": 2,
    "sources": 1,
    "chem": 0,
    "science": 0,
}

#: Packages that compute only: they may import none of these libraries.
PURE = {"chem", "science"}
IO_LIBRARIES = {
    "sqlalchemy",
    "psycopg",
    "psycopg2",
    "requests",
    "httpx",
    "urllib3",
    "FPSim2",
    "dask",
    "distributed",
    "chembl_webresource_client",
    "alembic",
    "sqlite3",
    "socket",
}

#: Crossings that exist today and are being removed; an entry that no longer occurs fails the
#: test, so this list only shrinks. Each is "file:import".
KNOWN: set[str] = set()


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    imported: str
    reason: str

    def key(self) -> str:
        return f"{self.path}:{self.imported}"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.imported} ({self.reason})"


def _private(base: str, name: str) -> bool:
    """``from impulator.store import _save`` imports the private module ``_save``."""
    return base.count(".") == 1 and name.startswith("_") and not name.startswith("__")


def check(root: Path, layers: dict[str, int] = LAYERS) -> list[Violation]:
    """Layer violations of the package at ``root`` (its directory name is the package name)."""
    top = root.name
    violations: list[Violation] = []
    for module, file in modules(root):
        rel = file.relative_to(root)
        if len(rel.parts) < 2:
            continue  # modules of the root package
        package = rel.parts[0]
        shown = f"{top}/{rel.as_posix()}"
        if package not in layers:
            violations.append(
                Violation(
                    shown, 1, package, f"package {package!r} has no layer: place it in the table"
                )
            )
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for line, name in imports(tree, package_of(module, file), _private):
            names = name.split(".")
            if package in PURE and names[0] in IO_LIBRARIES:
                violations.append(Violation(shown, line, name, f"{package} does no I/O"))
            if names[0] != top or len(names) < 2:
                continue
            other = names[1]
            if other == package:
                continue
            if not (root / other).is_dir():
                continue  # a module of the root package: open to all
            if len(names) > 2 and names[2].startswith("_"):
                violations.append(
                    Violation(shown, line, name, f"private module of package {other!r}")
                )
            if other not in layers:
                violations.append(
                    Violation(
                        shown, line, name, f"package {other!r} has no layer: place it in the table"
                    )
                )
            elif layers[other] > layers[package]:
                violations.append(
                    Violation(shown, line, name, f"{package} imports the higher layer {other}")
                )
    return violations


def test_the_library_keeps_its_layers() -> None:
    found = check(LIBRARY)
    new = [str(v) for v in found if v.key() not in KNOWN]
    assert not new, "layer violations:\n" + "\n".join(new)
    gone = KNOWN - {v.key() for v in found}
    assert not gone, "remove from KNOWN, fixed: " + ", ".join(sorted(gone))


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "impulator"
    for name, text in {"__init__.py": "", "_errors.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in {Path(n).parts[0] for n in files if len(Path(n).parts) > 1}:
        (root / package / "__init__.py").touch()
    return root


def test_a_private_import_across_packages_is_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "ui/_page.py": "def f():\n    from impulator.store._save import save\n",
            "store/_save.py": "from impulator._errors import X\n",
            "store/_other.py": "from impulator.store._save import save\n",
        },
    )
    found = check(root)
    assert [str(v) for v in found] == [
        "impulator/ui/_page.py:2: imports impulator.store._save (private module of package 'store')"
    ]


def test_a_higher_layer_and_io_in_chem_are_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "chem/_a.py": (
                "from typing import TYPE_CHECKING\n"
                "import sqlalchemy\n"
                "if TYPE_CHECKING:\n"
                "    from impulator.pipeline import Report\n"
            ),
            "pipeline/_b.py": "from impulator.chem import x\n",
        },
    )
    reasons = sorted((v.line, v.reason) for v in check(root))
    assert reasons == [(2, "chem does no I/O"), (4, "chem imports the higher layer pipeline")]


def test_an_unplaced_package_is_reported(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"teach2/_a.py": "x = 1\n"})
    found = check(root)
    assert {v.path for v in found} == {"impulator/teach2/__init__.py", "impulator/teach2/_a.py"}
    assert all("'teach2' has no layer: place it in the table" in v.reason for v in found)
