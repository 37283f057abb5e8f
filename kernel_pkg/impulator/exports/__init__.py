"""Exports of stored compounds: CSV, prototype CSV, SDF, Excel and a PDF report.

Every function reads the compounds through :mod:`impulator.store` as the calling user (on
PostgreSQL, row-level security decides which ids you may export), returns the file as bytes
and, given ``path=``, writes it there too. Files are generated on demand, never stored.

    compounds_csv(ids, url=None)              -> CSV, one row per activity record
    prototype_csv(ids, url=None)              -> CSV under the old prototype's column names
    compounds_sdf(ids, url=None)              -> SD file, one record per compound
    compounds_excel(ids, url=None)            -> xlsx: "Compounds" and "Activities" sheets
    compound_report_pdf(compound_id, url=None) -> PDF report of one compound (three pages)
    export_file(kind, ids, url=None)          -> ExportFile(name, mime, data) of any of them

An id that does not exist or is not shared with you raises ``CompoundNotFound``; an empty
selection raises ``ValueError``. Excel needs ``openpyxl`` and the PDF ``matplotlib`` (both in
the ``dashboards`` extra).

Example:
    >>> import os, tempfile
    >>> from impulator import exports
    >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
    >>> exports.compounds_sdf([7], url)
    Traceback (most recent call last):
    impulator._errors.CompoundNotFound: no compound 7 (it does not exist or is not shared with you)
    >>> sorted(exports.FORMATS)
    ['csv', 'excel', 'pdf', 'prototype', 'sdf']
"""

from __future__ import annotations

from impulator._errors import CompoundNotFound
from impulator.exports._formats import FORMATS, ExportFile, ExportFormat, export_file
from impulator.exports._load import (
    ACTIVITY_ID_COLUMNS,
    COMPOUND_COLUMNS,
    activities_table,
    compounds_table,
)
from impulator.exports._pdf import compound_report_pdf
from impulator.exports._sdf import SDF_FIELDS, compounds_sdf
from impulator.exports._tables import (
    PROTOTYPE_EXTRA_COLUMNS,
    compounds_csv,
    compounds_excel,
    prototype_csv,
    prototype_table,
)

__all__ = [
    "ACTIVITY_ID_COLUMNS",
    "COMPOUND_COLUMNS",
    "FORMATS",
    "PROTOTYPE_EXTRA_COLUMNS",
    "SDF_FIELDS",
    "CompoundNotFound",
    "ExportFile",
    "ExportFormat",
    "activities_table",
    "compound_report_pdf",
    "compounds_csv",
    "compounds_excel",
    "compounds_sdf",
    "compounds_table",
    "export_file",
    "prototype_csv",
    "prototype_table",
]
