"""Reading a batch: every row validated up front, invalid ones kept with their number and reason.

Structures (SMILES, InChI, molfile records) are standardised here, so a job knows each row's
InChIKey and computes once per unique structure; identifiers (InChIKeys, ChEMBL ids, names)
are only format-checked, since resolving them needs the bioactivity source.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from impulator._errors import BatchTooLarge, FileMissing, InvalidInput
from impulator.batch._files import Record, decode, file_format, read_sdf, read_table
from impulator.batch._files import sniff_delimiter as _sniff
from impulator.batch._validate import ALIASES, KINDS, display, role_of, validate
from impulator.config import get_settings

__all__ = ["ALIASES", "KINDS", "BatchInput", "BatchRow", "RowError", "read_batch"]


@dataclass(frozen=True)
class BatchRow:
    """One valid input row.

    Attributes:
        row: 1-based data row (the first compound is row 1; for an SDF, the record number).
        query: what ``impulator.analyze`` is given (structures as given, ids normalised).
        kind: ``smiles``, ``inchi``, ``molfile``, ``inchikey``, ``chembl_id`` or ``name``.
        name: the row's label (name column, SDF title or name property), if any.
        inchikey: the standard InChIKey of the standardised parent (structures and InChIKeys).
    """

    row: int
    query: str
    kind: str
    name: str | None = None
    inchikey: str | None = None


@dataclass(frozen=True)
class RowError:
    """An input row that will not be scored: its number, its text (shortened) and why."""

    row: int
    input: str
    reason: str


@dataclass
class BatchInput:
    """A validated batch: the valid rows, the invalid ones, and where they came from.

    Attributes:
        rows: the valid rows, in input order.
        errors: the invalid rows, in input order.
        columns: role (``query``, ``name``) -> the column (or SD property) used for it.
        total: rows read (blank ones not counted): ``len(rows) + len(errors)``.
        source: the file name, or ``"list"`` / ``"DataFrame"``.
    """

    rows: list[BatchRow]
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    total: int = 0
    source: str = "list"


def read_batch(
    input: Any,
    *,
    column: str | None = None,
    name_column: str | None = None,
    kind: str | None = None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
    filename: str | None = None,
    progress: bool = False,
) -> BatchInput:
    """Read and validate a batch of compounds.

    ``input`` is a list (or tuple, or Series) of queries; a pandas DataFrame; a path to a
    CSV/TSV (delimiter sniffed, UTF-8 with or without BOM, else latin-1) or an SDF
    (``.sdf``, ``.sd``, ``.mol``); or the bytes of such a file with its ``filename``.

    Table columns are found by name, ignoring case, spaces and underscores (see ``ALIASES``):
    SMILES > InChI > InChIKey > ChEMBL id > name for the query; a name column labels the rows.
    ``column`` / ``name_column`` name them yourself, ``kind`` says what the query column holds.
    In a list, or a column of unknown meaning, each entry's kind is recognised on its own.
    Structures are standardised here (about 7 ms each); ``progress`` shows a bar meanwhile.

    Raises:
        BatchTooLarge: over ``max_rows`` compounds or ``max_bytes`` bytes (defaults:
            ``IMPULATOR_BATCH_MAX_ROWS``, ``IMPULATOR_BATCH_MAX_BYTES``).
        ValueError: no compounds, or no column to read them from.

    Example:
        >>> batch = read_batch(["CCO", "C1CC", "dasatinib", "CHEMBL1421"])
        >>> [(r.row, r.kind) for r in batch.rows]
        [(1, 'smiles'), (3, 'name'), (4, 'chembl_id')]
        >>> batch.errors
        [RowError(row=2, input='C1CC', reason='unreadable SMILES: ring bond 1 is opened but never closed')]
    """  # noqa: E501
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if max_rows is None or max_bytes is None:
        settings = get_settings()
        max_rows = settings.batch_max_rows if max_rows is None else max_rows
        max_bytes = settings.batch_max_bytes if max_bytes is None else max_bytes
    reading = _Reading(max_rows, max_bytes, progress)
    if isinstance(input, pd.DataFrame):
        return _from_frame(input, column, name_column, kind, reading)
    if isinstance(input, list | tuple | pd.Series):
        return _from_list(
            list(input), kind, reading, "Series" if isinstance(input, pd.Series) else "list"
        )
    if isinstance(input, bytes | bytearray | memoryview):
        data = bytes(input)
        source = _upload_name(filename)
        reading.check_bytes(len(data), source)
        return _from_bytes(data, source, column, name_column, kind, reading)
    if isinstance(input, str | os.PathLike):
        path = Path(input)
        if not path.is_file():
            hint = "" if path.suffix else "; to score a few compounds pass a list: ['CCO', ...]"
            raise FileMissing(f"no file {str(path)!r}{hint}")
        reading.check_bytes(path.stat().st_size, path.name)
        return _from_bytes(path.read_bytes(), path.name, column, name_column, kind, reading)
    raise TypeError(
        f"read_batch takes a list of queries, a DataFrame, a file path or bytes with "
        f"filename=, not a {type(input).__name__}"
    )


@dataclass(frozen=True)
class _Reading:
    """How to read: the limits, and whether to show a progress bar while validating."""

    rows: int
    bytes: int
    progress: bool = False

    def check_bytes(self, size: int, source: str) -> None:
        if size > self.bytes:
            raise BatchTooLarge(
                f"{source} is {_size(size)}; a batch may be at most "
                f"{_size(self.bytes)} (IMPULATOR_BATCH_MAX_BYTES). Split it into "
                f"files under that size and submit each, or ask your administrator to raise "
                f"the limit"
            )

    def check_rows(self, count: int, source: str) -> None:
        if count > self.rows:
            raise BatchTooLarge(
                f"{source} has more than {self.rows:,} compounds, the most one batch may hold "
                f"(IMPULATOR_BATCH_MAX_ROWS). Split it into parts of at most {self.rows:,} "
                f"rows and submit each, or ask your administrator to raise the limit"
            )


def _upload_name(filename: str | None) -> str:
    """The name an upload is shown and kept under: its last path part, control characters
    escaped (``"../../etc/passwd.csv"`` is ``"passwd.csv"``); ``"upload"`` when it has none.

    Example:
        >>> _upload_name("../../etc/passwd.csv"), _upload_name("/etc/passwd.csv")
        ('passwd.csv', 'passwd.csv')
        >>> _upload_name("C:\\\\data\\\\a.csv"), _upload_name(".."), _upload_name(None)
        ('a.csv', 'upload', 'upload')
    """
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return display(name, 200) if name not in ("", ".", "..") else "upload"


def _size(count: int) -> str:
    """Bytes in words: ``_size(2_000)`` is '2,000 bytes', ``_size(10**8)`` '100.0 MB'."""
    return f"{count:,} bytes" if count < 100_000 else f"{count / 1e6:,.1f} MB"


def _from_list(items: list[Any], kind: str | None, reading: _Reading, source: str) -> BatchInput:
    reading.check_rows(len(items), source)
    reading.check_bytes(sum(len(i) for i in items if isinstance(i, str)), source)
    cells = ((n, item, None) for n, item in enumerate(items, start=1))
    return _collect(cells, kind, source, {}, reading, len(items), empty="empty entry")


def _from_frame(
    frame: pd.DataFrame,
    column: str | None,
    name_column: str | None,
    kind: str | None,
    reading: _Reading,
) -> BatchInput:
    reading.check_rows(len(frame), "DataFrame")
    names = [str(c) for c in frame.columns]
    query, label, query_kind = _columns(names, column, name_column, kind, "DataFrame")
    # By position: the first of two columns with one name, whatever the index.
    values = frame.iloc[:, names.index(query)].tolist()
    labels = frame.iloc[:, names.index(label)].tolist() if label else [None] * len(values)
    cells = (
        (n, value, _text(name))
        for n, (value, name) in enumerate(zip(values, labels, strict=True), start=1)
    )
    roles = {"query": query, **({"name": label} if label else {})}
    return _collect(cells, query_kind, "DataFrame", roles, reading, len(frame))


def _from_bytes(
    data: bytes,
    source: str,
    column: str | None,
    name_column: str | None,
    kind: str | None,
    reading: _Reading,
) -> BatchInput:
    if not data.strip():
        raise InvalidInput(f"{source} is empty: it has no compounds")
    try:
        text, _ = decode(data)
    except ValueError as exc:
        raise InvalidInput(f"{source}: {exc}") from None
    if file_format(source, text) == "sdf":
        return _from_sdf(text, source, column, name_column, kind, reading)
    delimiter = _sniff(text, Path(source).suffix.lower())
    header, records = read_table(text, delimiter)
    if any("\x00" in cell for cell in header):
        raise InvalidInput(
            f"{source}: its header line holds NUL bytes, so it is not a text table (a binary "
            "file, or UTF-16 without its byte-order mark); save it as CSV (UTF-8) or SDF"
        )
    query, label, query_kind = _columns(header, column, name_column, kind, source)
    # Counted before any row is validated: a file of a million rows is refused in a second,
    # not after its first 10,000 structures have been standardised.
    for count, _record in enumerate(read_table(text, delimiter)[1], start=1):
        reading.check_rows(count, source)
    roles = {"query": query, **({"name": label} if label else {})}
    cells = _cells(records, query, label, reading, source)
    return _collect(cells, query_kind, source, roles, reading, None)


def _from_sdf(
    text: str,
    source: str,
    column: str | None,
    name_column: str | None,
    kind: str | None,
    reading: _Reading,
) -> BatchInput:
    records: list[Record] = []
    for record in read_sdf(text):  # counted while read: never millions of records in memory
        reading.check_rows(len(records) + 1, source)
        records.append(record)
    properties = list(dict.fromkeys(p for r in records for p in r.cells))
    if column is not None:
        query, _, query_kind = _columns(properties, column, None, kind, source)
    else:
        query, query_kind = "molfile", kind or "molfile"
    label = _label_column(properties, name_column, source)
    roles = {"query": query, "name": label or "title"}

    def cells() -> Iterator[tuple[int, Any, str | None]]:
        for r in records:
            name = _text(r.cells.get(label)) if label else r.title
            if r.problem:
                yield r.number, _Problem(r.problem, r.title or ""), name
            else:
                value = r.molfile if query == "molfile" else r.cells.get(query, "")
                yield r.number, value, name

    return _collect(cells(), query_kind, source, roles, reading, len(records), empty="empty record")


@dataclass(frozen=True)
class _Problem:
    """A record the file reader could not read: reported as it is, never validated."""

    reason: str
    shown: str


def _cells(
    records: Iterable[Record], query: str, label: str | None, reading: _Reading, source: str
) -> Iterator[tuple[int, Any, str | None]]:
    for count, record in enumerate(records, start=1):
        reading.check_rows(count, source)
        if record.problem:
            yield record.number, _Problem(record.problem, ""), None
        else:
            name = _text(record.cells.get(label)) if label else None
            yield record.number, record.cells.get(query, ""), name


def _collect(
    cells: Iterable[tuple[int, Any, str | None]],
    kind: str | None,
    source: str,
    roles: dict[str, str],
    reading: _Reading,
    count: int | None,
    empty: str = "empty cell",
) -> BatchInput:
    if reading.progress:
        from tqdm.auto import tqdm

        cells = tqdm(cells, total=count, desc=f"validating {source}", unit="row")
    rows: list[BatchRow] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str | None], tuple[str, str, str | None] | str] = {}
    for number, value, name in cells:
        if isinstance(value, _Problem):
            errors.append(RowError(number, display(value.shown), value.reason))
            continue
        checked = seen.get((value, kind)) if isinstance(value, str) else None
        if checked is None:
            checked = validate(value, kind, empty)
            if isinstance(value, str):
                seen[(value, kind)] = checked
        if isinstance(checked, str):
            errors.append(RowError(number, display(value), checked))
        else:
            query, row_kind, inchikey = checked
            rows.append(BatchRow(number, query, row_kind, name, inchikey))
    total = len(rows) + len(errors)
    if total == 0:
        raise InvalidInput(f"{source} has no compounds")
    return BatchInput(rows, errors, roles, total, source)


def _columns(
    names: Sequence[str],
    column: str | None,
    name_column: str | None,
    kind: str | None,
    source: str,
) -> tuple[str, str | None, str | None]:
    """(query column, name column, kind of the query column) for a table's column names."""
    found = ", ".join(repr(n) for n in names) or "none"
    if column is not None:
        if column not in names:
            raise InvalidInput(f"{source} has no column {column!r}; its columns: {found}")
        query = column
        query_kind = kind or role_of(column)
    else:
        by_role = {role: next((n for n in names if role_of(n) == role), None) for role in ALIASES}
        picked = next(((r, c) for r, c in by_role.items() if c is not None), None)
        if picked is None:
            looked = "; ".join(f"{role}: {', '.join(a)}" for role, a in ALIASES.items())
            raise InvalidInput(
                f"{source}: no column holds the compounds (its columns: {found}). Looked for "
                f"{looked} (case, spaces and underscores ignored). Name the column: "
                f"--column NAME on the command line, column='NAME' in Python"
            )
        query_kind, query = kind or picked[0], picked[1]
    return query, _label_column(names, name_column, source, exclude=query), query_kind


def _label_column(
    names: Sequence[str], name_column: str | None, source: str, exclude: str | None = None
) -> str | None:
    if name_column is not None:
        if name_column not in names:
            found = ", ".join(repr(n) for n in names) or "none"
            raise InvalidInput(f"{source} has no column {name_column!r}; its columns: {found}")
        return name_column
    return next((n for n in names if role_of(n) == "name" and n != exclude), None)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):  # None, NaN
        return None
    text = str(value).replace("\x00", "").strip()  # PostgreSQL text holds no NUL
    return text or None
