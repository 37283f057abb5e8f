"""An uploaded file as read, before validation: its format, its columns, its first records.

A page that takes a file shows this (a preview to map the columns with); ``read_batch`` then
validates every row with the columns chosen.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from impulator._errors import InvalidInput
from impulator.batch._files import Record, decode, file_format, read_sdf, read_table
from impulator.batch._files import sniff_delimiter as _sniff
from impulator.batch._input import RowError
from impulator.batch._validate import display

__all__ = ["Upload", "read_upload"]


@dataclass(frozen=True)
class Upload:
    """What :func:`read_upload` read.

    Attributes:
        name: the file's name.
        format: ``"sdf"`` (molfile records and their SD properties) or ``"table"`` (CSV/TSV).
        encoding: ``"utf-8"`` or ``"latin-1"``.
        delimiter: the table's delimiter (None for an SDF).
        columns: the table's header, or the SD properties of the records read.
        records: the records read, numbered as ``read_batch`` numbers its rows.
        errors: the records among them that cannot be read, with the reason.
    """

    name: str
    format: Literal["table", "sdf"]
    encoding: str
    delimiter: str | None
    columns: list[str]
    records: list[Record] = field(repr=False)
    errors: list[RowError] = field(default_factory=list)

    @property
    def sdf(self) -> bool:
        """Whether the file is an SD file (its structures are its molfile records)."""
        return self.format == "sdf"

    def preview(self) -> pd.DataFrame:
        """The records read as a table of text: ``Row`` (and an SDF's ``Title``) first, then
        ``columns`` (empty cells where a record has none)."""
        lead = ["Row", "Title"] if self.sdf else ["Row"]
        table = [
            {
                "Row": r.number,
                "Title": r.title or "",
                **{c: r.cells.get(c, "") for c in self.columns},
            }
            for r in self.records
        ]
        return pd.DataFrame(table, columns=[*lead, *self.columns])


def read_upload(name: str, data: bytes, rows: int | None = 5) -> Upload:
    """Read the first ``rows`` records (None: all) of an uploaded CSV/TSV or SDF, without
    validating them.

    The format is chosen by the name's ending (``.sdf``, ``.sd``, ``.mol``: SDF; for a name
    without one, by whether it holds a molfile), the encoding and delimiter as ``read_batch``
    chooses them. Empty data gives no columns and no records.

    Raises:
        InvalidInput: a spreadsheet or an archive, in a sentence saying what to give instead;
            a table whose header line cannot be read.

    Example:
        >>> upload = read_upload("a.csv", b"Name,SMILES\\nethanol,CCO\\nwater,O,x\\n")
        >>> upload.format, upload.columns, upload.preview().to_dict("records")[0]
        ('table', ['Name', 'SMILES'], {'Row': 1, 'Name': 'ethanol', 'SMILES': 'CCO'})
        >>> upload.errors[0].row, upload.errors[0].reason[:36]
        (2, 'the row has 3 cells but the header h')
    """
    if rows is not None and rows < 1:
        raise InvalidInput(f"rows must be at least 1 (or None for all), not {rows}")
    text, encoding = decode(data)
    if file_format(name, text) == "sdf":
        records = _first(read_sdf(text), rows)
        properties = list(dict.fromkeys(p for r in records for p in r.cells))
        errors = [RowError(r.number, display(r.title), r.problem) for r in records if r.problem]
        return Upload(name, "sdf", encoding, None, properties, records, errors)
    delimiter = _sniff(text, Path(name).suffix)
    header, found = read_table(text, delimiter)
    records = _first(found, rows)
    errors = [RowError(r.number, "", r.problem) for r in records if r.problem]
    return Upload(name, "table", encoding, delimiter, list(header), records, errors)


def _first(records: Iterator[Record], rows: int | None) -> list[Record]:
    return list(records) if rows is None else list(itertools.islice(records, rows))
