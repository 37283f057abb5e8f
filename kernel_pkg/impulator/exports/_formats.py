"""The export formats by kind, and one call that builds a named file of any of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from impulator._errors import InvalidInput
from impulator.exports._load import selected_ids
from impulator.exports._pdf import compound_report_pdf
from impulator.exports._sdf import compounds_sdf
from impulator.exports._tables import compounds_csv, compounds_excel, prototype_csv

__all__ = ["FORMATS", "ExportFile", "ExportFormat", "export_file"]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its label, file extension, MIME type, and whether it covers one
    compound only (the PDF report)."""

    kind: str
    label: str
    extension: str
    mime: str
    single: bool
    build: Callable[..., bytes]


@dataclass(frozen=True)
class ExportFile:
    """A built export: a file name to offer, its MIME type and its bytes."""

    name: str
    mime: str
    data: bytes

    def __repr__(self) -> str:
        return f"<ExportFile {self.name} ({len(self.data):,} bytes)>"


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The export formats by kind, in the order the UI shows them.
FORMATS: dict[str, ExportFormat] = {
    f.kind: f
    for f in (
        ExportFormat("csv", "CSV", "csv", "text/csv", False, compounds_csv),
        ExportFormat("prototype", "Prototype CSV", "csv", "text/csv", False, prototype_csv),
        ExportFormat("sdf", "SDF", "sdf", "chemical/x-mdl-sdfile", False, compounds_sdf),
        ExportFormat("excel", "Excel", "xlsx", _XLSX, False, compounds_excel),
        ExportFormat("pdf", "PDF report", "pdf", "application/pdf", True, compound_report_pdf),
    )
}


def export_file(
    kind: str, ids: Iterable[Any], url: str | None = None, *, now: datetime | None = None
) -> ExportFile:
    """Build the ``kind`` export of ``ids`` with its file name.

    Names: ``impulator-compounds-YYYYMMDD-HHMM.csv`` (UTC; ``-prototype`` before the date for
    the prototype CSV) and ``impulator-compound-<id>.pdf`` for a report.

    Raises:
        ValueError: an unknown kind, nothing selected, or several compounds for a report.
        CompoundNotFound: an id does not exist or is not shared with you.

    Example:
        >>> export_file("docx", [1])
        Traceback (most recent call last):
        impulator._errors.InvalidInput: unknown export 'docx': use csv, prototype, sdf, excel or pdf
        >>> export_file("pdf", [1, 2])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        impulator._errors.InvalidInput: a PDF report covers one compound: select exactly one ...
    """
    chosen = FORMATS.get(kind)
    if chosen is None:
        names = list(FORMATS)
        raise InvalidInput(f"unknown export {kind!r}: use {', '.join(names[:-1])} or {names[-1]}")
    numbers = selected_ids(ids)
    if chosen.single:
        if len(numbers) != 1:
            raise InvalidInput(
                "a PDF report covers one compound: select exactly one "
                f"({len(numbers)} are selected)"
            )
        data = chosen.build(numbers[0], url)
        return ExportFile(f"impulator-compound-{numbers[0]}.{chosen.extension}", chosen.mime, data)
    data = chosen.build(numbers, url)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d-%H%M")
    flavour = "-prototype" if kind == "prototype" else ""
    return ExportFile(f"impulator-compounds{flavour}-{stamp}.{chosen.extension}", chosen.mime, data)
