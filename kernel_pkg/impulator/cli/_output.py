"""How the command line talks: one-line errors, tables or strict JSON, progress on stderr."""

from __future__ import annotations

import json
import math
import sys
import traceback
from collections.abc import Callable
from typing import Any

from impulator._errors import ExitStatus

__all__ = ["emit", "fail", "jsonable", "progress_bar", "report_bug"]


def fail(error: object, status: ExitStatus) -> ExitStatus:
    """Print one line on stderr (``impulator: ...``) and return ``status``."""
    print("impulator: " + " ".join(str(error).split()), file=sys.stderr)
    return status


def report_bug(error: BaseException) -> ExitStatus:
    """Say on stderr that ``error`` is a bug in impulator, with its traceback; return
    ``ExitStatus.BUG``."""
    said = " ".join(str(error).split())
    print(
        f"impulator hit a bug: {type(error).__name__}: {said}\n"
        "Please report it, with the traceback below.",
        file=sys.stderr,
    )
    traceback.print_exception(error, file=sys.stderr)
    return ExitStatus.BUG


def emit(result: dict[str, Any], as_json: bool) -> None:
    """Print ``result`` as strict JSON (NaN as null) or as an aligned two-column table."""
    if as_json:
        print(json.dumps(jsonable(result), indent=2, allow_nan=False))
    else:
        print(table(result))


def plain(value: Any) -> Any:
    """Plain Python: numpy scalars unwrapped, NaN and inf as None."""
    if hasattr(value, "item") and not isinstance(value, list | dict):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def jsonable(value: Any) -> Any:
    """``value`` with every nested scalar made plain (see ``plain``)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return plain(value)


def table(result: dict[str, Any]) -> str:
    """Two aligned columns; lists of dicts (matches) as indented lines."""
    lines = []
    width = max((len(k) for k in result), default=0)
    for key, value in result.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(key)
            for item in value:
                lines.append("  - " + ", ".join(f"{k}={_text(v)}" for k, v in item.items()))
            continue
        lines.append(f"{key:{width}}  {_text(value)}")
    return "\n".join(lines)


def _text(value: Any) -> str:
    shown = plain(value)
    if isinstance(shown, float):
        return f"{shown:.4f}"
    if shown is None:
        return "n/a"
    if isinstance(shown, list | tuple):
        return ",".join(str(v) for v in shown)
    return str(shown)


def progress_bar(label: str) -> tuple[Callable[[int, int, str], None], Callable[[], None]]:
    """A (callback, close) pair drawing a bar on stderr, only once work has run 1 s."""
    from tqdm import tqdm

    bar: Any = None

    def update(done: int, total: int, step: str) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, file=sys.stderr, delay=1.0, leave=False)
        if bar.total != total:
            bar.reset(total=total)
        bar.set_postfix_str(step, refresh=False)
        # update() (not refresh()) so nothing is drawn before the 1 s delay has passed.
        bar.update(done - bar.n)

    def close() -> None:
        if bar is not None:
            bar.close()

    return update, close
