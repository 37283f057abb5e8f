"""Tabular exports: CSV (impulator and prototype columns) and Excel.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``)
are defused: in CSV they get a leading apostrophe (OWASP's advice against CSV injection), in
Excel they are stored as text cells. SMILES, ids and numbers never start that way.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from impulator._errors import InvalidInput
from impulator.exports._load import (
    activities_table,
    compounds_table,
    load_compounds,
    write,
)
from impulator.pipeline import Report
from impulator.store import StoredCompound

__all__ = [
    "PROTOTYPE_EXTRA_COLUMNS",
    "compounds_csv",
    "compounds_excel",
    "prototype_csv",
    "prototype_table",
]

#: Columns appended to the prototype's own: which stored compound each row belongs to.
PROTOTYPE_EXTRA_COLUMNS: tuple[str, ...] = ("Impulator_Compound_ID", "Query_Name")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limits: rows per sheet, characters per cell.
_EXCEL_ROWS, _EXCEL_CELL = 1_048_576, 32_767


def _defused(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with formula-like text cells prefixed by an apostrophe."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v
            )
    return out


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a BOM (Excel then reads µ and names right), ISO dates, no index."""
    text = _defused(frame).to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return ("\ufeff" + text).encode("utf-8")


def compounds_csv(
    ids: Iterable[Any], url: str | None = None, *, path: str | Path | None = None
) -> bytes:
    """One CSV row per activity record of the compounds ``ids`` (all their rows).

    Columns: ``compound_id``, ``compound_name``, ``compound_chembl_id``, ``compound_inchikey``,
    then the results table (``impulator.pipeline.RESULT_COLUMNS``). UTF-8 with a byte-order
    mark, so Excel opens it as it is; ``path``, when given, gets the same bytes.

    Raises:
        ValueError: nothing selected.
        CompoundNotFound: an id does not exist or is not shared with you.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> compounds_csv([], url)
        Traceback (most recent call last):
        impulator._errors.InvalidInput: nothing to export: select at least one compound
    """
    return write(_csv_bytes(activities_table(load_compounds(ids, url))), path)


def _report_of(compound: StoredCompound) -> Report:
    provenance = {"scoring_model": compound.model_id or "", **compound.provenance}
    return Report(compound.query, None, compound.rows, dict(compound.summary), provenance)


def prototype_table(compounds: Sequence[StoredCompound]) -> pd.DataFrame:
    """The rows of ``compounds`` under the prototype's column names
    (:meth:`impulator.pipeline.Report.prototype_table`), plus ``PROTOTYPE_EXTRA_COLUMNS``."""
    frames = []
    for c in compounds:
        table = _report_of(c).prototype_table().copy()
        table[PROTOTYPE_EXTRA_COLUMNS[0]] = c.id
        table[PROTOTYPE_EXTRA_COLUMNS[1]] = c.name
        frames.append(table)
    frames = [f for f in frames if not f.empty] or frames[:1]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    # Compounds scored by different models add their own score columns: extras stay last.
    extras = [c for c in PROTOTYPE_EXTRA_COLUMNS if c in table.columns]
    return table[[c for c in table.columns if c not in extras] + extras]


def prototype_csv(
    ids: Iterable[Any], url: str | None = None, *, path: str | Path | None = None
) -> bytes:
    """The activity rows of ``ids`` as the old prototype's CSV (for old spreadsheets).

    Column names are those of ``Report.to_csv(flavour="prototype")`` (ChEMBL_ID, SEI, BEI,
    Modulus_SEI_BEI, OQPLA_Final_Score or IMP_Final_Score, ...), followed by
    ``Impulator_Compound_ID`` and ``Query_Name`` so rows of several queries stay apart.

    Example:
        >>> from impulator.pipeline import PROTOTYPE_COLUMNS
        >>> PROTOTYPE_COLUMNS["modulus_sei_bei"], PROTOTYPE_EXTRA_COLUMNS[0]
        ('Modulus_SEI_BEI', 'Impulator_Compound_ID')
    """
    return write(_csv_bytes(prototype_table(load_compounds(ids, url))), path)


# -- Excel -----------------------------------------------------------------------------------


def _excel_value(value: Any) -> Any:
    """A cell value openpyxl accepts: plain Python, no NaN, no illegal control characters."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if not math.isfinite(value) else value
    if isinstance(value, list | tuple | dict):
        value = json.dumps(value, default=str)
    if isinstance(value, pd.Timestamp):
        value = value.isoformat()
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:_EXCEL_CELL]
    return value


def _add_sheet(book: Any, title: str, frame: pd.DataFrame) -> None:
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    if len(frame) + 1 > _EXCEL_ROWS:
        raise InvalidInput(
            f"too many rows for one Excel sheet ({len(frame):,} {title.lower()}; Excel holds "
            f"{_EXCEL_ROWS - 1:,}): export fewer compounds, or use CSV"
        )
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(frame.columns, start=1):
        width = min(max(len(str(column)), 8) + 2, 40)
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for column in frame.columns:
        cell = WriteOnlyCell(sheet, value=_excel_value(str(column)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for record in frame.itertuples(index=False, name=None):
        cells: list[Any] = []
        for raw in record:
            value = _excel_value(raw)
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)


def compounds_excel(
    ids: Iterable[Any], url: str | None = None, *, path: str | Path | None = None
) -> bytes:
    """An Excel workbook (xlsx) of ``ids``: a "Compounds" sheet (one row per compound: ids,
    best score and class, what high means, MW, rows, flags, provenance) and an "Activities"
    sheet (every activity row, as :func:`compounds_csv`).

    Needs ``openpyxl`` (in the ``dashboards`` extra).

    Raises:
        ValueError: nothing selected, or more rows than an Excel sheet holds.
        CompoundNotFound: an id does not exist or is not shared with you.
    """
    try:
        from openpyxl import Workbook  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - installed with the dashboards extra
        raise ImportError(
            "Excel export needs openpyxl: pip install 'impulator[dashboards]'"
        ) from exc
    compounds = load_compounds(ids, url)
    book = Workbook(write_only=True)
    _add_sheet(book, "Compounds", compounds_table(compounds))
    _add_sheet(book, "Activities", activities_table(compounds))
    buffer = io.BytesIO()
    book.save(buffer)
    return write(buffer.getvalue(), path)
