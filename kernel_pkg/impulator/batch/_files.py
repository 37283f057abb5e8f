"""Reading batch files: text decoding, CSV/TSV records and SDF records, with their numbers.

Row numbers are kept exact: ``csv`` (not pandas) reads tables, so a quoted cell spanning
lines, a blank line or an unreadable record never shifts the numbers a chemist is told.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from impulator._errors import InvalidInput

__all__ = [
    "REFUSED_SUFFIXES",
    "SDF_SUFFIXES",
    "Record",
    "decode",
    "file_format",
    "read_sdf",
    "read_table",
    "sniff_delimiter",
]

#: File name endings read as SDF/molfile; everything else is read as a delimited table.
SDF_SUFFIXES = (".sdf", ".sd", ".mol")
#: File name endings refused with a sentence: spreadsheets and archives, not text.
REFUSED_SUFFIXES = (".xlsx", ".xls", ".ods", ".gz", ".zip")
_DELIMITERS = (",", ";", "\t")
# The same record separator impulator.chem uses: it consumes its own line break, so each
# record starts at its (maybe empty) title line, which must not be stripped.
_SDF_DELIMITER = re.compile(r"^\$\$\$\$[ \t]*\r?(?:\n|$)", re.MULTILINE)
_PROPERTY = re.compile(r"^>[^<]*<([^>]+)>")
_MEND = re.compile(r"^M  END[ \t]*\r?$", re.MULTILINE)


@dataclass
class Record:
    """One data record of a file: its 1-based number and its cells (or why it is unreadable).

    For an SDF record, ``cells`` holds the SD properties and ``molfile`` the connection table
    up to its ``M  END`` line (None when it has none); ``title`` is the molfile's first line.
    """

    number: int
    cells: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    molfile: str | None = None
    title: str | None = None


def decode(data: bytes) -> tuple[str, str]:
    """Text of a file: UTF-16 with a byte-order mark, else UTF-8 (a byte-order mark dropped),
    else latin-1 (a stray UTF-8 byte-order mark dropped too); and which it was.

    Raises:
        ValueError: it starts with a UTF-16 byte-order mark but is not UTF-16.

    Example:
        >>> decode("smiles\\n".encode("utf-8-sig"))
        ('smiles\\n', 'utf-8')
        >>> decode("name\\ncaféine\\n".encode("latin-1"))
        ('name\\ncaféine\\n', 'latin-1')
        >>> decode("smiles\\n".encode("utf-16"))
        ('smiles\\n', 'utf-16')
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise InvalidInput(
                "it starts with a UTF-16 byte-order mark but is not UTF-16 text; "
                "save it as CSV (UTF-8) or SDF"
            ) from None
    else:
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:  # every byte is a latin-1 character
            text, encoding = data.removeprefix(codecs.BOM_UTF8).decode("latin-1"), "latin-1"
    return text, encoding


def file_format(source: str, text: str) -> Literal["table", "sdf"]:
    """``"sdf"`` or ``"table"``: by the ending of the name ``source``, and for a name without
    one by whether ``text`` holds a molfile's ``M  END`` line.

    Raises:
        InvalidInput: a spreadsheet or an archive (``REFUSED_SUFFIXES``), in a sentence.

    Example:
        >>> file_format("a.SDF", ""), file_format("a.tsv", ""), file_format("upload", "M  END")
        ('sdf', 'table', 'sdf')
    """
    suffix = Path(source).suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        raise InvalidInput(
            f"{source}: impulator reads CSV/TSV tables and SDF files; save it as CSV "
            "(UTF-8) or SDF, uncompressed, and give that file"
        )
    return "sdf" if suffix in SDF_SUFFIXES or (suffix == "" and "M  END" in text) else "table"


def sniff_delimiter(text: str, suffix: str = "") -> str:
    """The delimiter of a table: the one of ``,`` ``;`` tab found most often in the header.

    A header is simple text, unlike SMILES or names in the data, so it decides; a ``.tsv``
    file with a tab in its header is tab-separated whatever else it holds.

    Example:
        >>> sniff_delimiter("SMILES;Name\\nCCO;ethanol\\n")
        ';'
        >>> sniff_delimiter("smiles\\nCCO\\n")
        ','
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    if suffix.lower() == ".tsv" and "\t" in header:
        return "\t"
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(text: str, delimiter: str) -> tuple[list[str], Iterator[Record]]:
    """The header and the data records of a delimited table.

    Blank records are skipped but counted, so record N is always the N-th record after the
    header (a quoted cell may span lines). A record with more cells than the header is
    reported (an unquoted delimiter inside a name, usually); missing trailing cells are empty.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    while header is None:
        try:
            first = next(reader)
        except StopIteration:
            return [], iter(())
        except csv.Error as exc:
            raise InvalidInput(f"the header line cannot be read as a table: {exc}") from None
        if any(cell.strip() for cell in first):
            header = [cell.strip() for cell in first]
    return header, _records(reader, header, delimiter)


def _records(reader: Iterator[list[str]], header: list[str], delimiter: str) -> Iterator[Record]:
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a cell over the csv module's 131,072 characters
            yield Record(number, problem=f"the row cannot be read: {exc}")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            shown = "tab" if delimiter == "\t" else repr(delimiter)
            yield Record(
                number,
                problem=(
                    f"the row has {len(cells)} cells but the header has {len(header)}; "
                    f"quote cells that contain a {shown}"
                ),
            )
            continue
        padded = cells + [""] * (len(header) - len(cells))
        yield Record(number, dict(zip(header, padded, strict=True)))


def read_sdf(text: str) -> Iterator[Record]:
    """The records of an SDF (or a single molfile), numbered from 1, with their properties.

    Example:
        >>> block = "water\\n\\n\\n  1  0  0  0  0  0  0  0  0  0999 V2000\\n"
        >>> atom = "    0.0000    0.0000    0.0000 O   0  0  0  0  0  0  0  0  0  0  0  0\\n"
        >>> [r] = read_sdf(block + atom + "M  END\\n> <id>\\nW1\\n\\n$$$$\\n")
        >>> r.number, r.title, r.cells, r.molfile.endswith("M  END")
        (1, 'water', {'id': 'W1'}, True)
    """
    parts = _SDF_DELIMITER.split(text)
    while parts and not parts[-1].strip():
        parts.pop()
    for number, part in enumerate(parts, start=1):
        if not part.strip():
            yield Record(number, problem="empty record (two '$$$$' lines in a row)")
            continue
        lines = part.splitlines()
        title = lines[0].strip() or None
        end = _MEND.search(part)
        if end is None:
            yield Record(
                number, title=title, problem="the record has no 'M  END' line (a molfile ends so)"
            )
            continue
        yield Record(number, _properties(part[end.end() :]), molfile=part[: end.end()], title=title)


def _properties(text: str) -> dict[str, str]:
    properties: dict[str, str] = {}
    name: str | None = None
    values: list[str] = []
    for line in [*text.splitlines(), ""]:
        found = _PROPERTY.match(line)
        if found:
            name, values = found[1].strip(), []
        elif name is not None and line.strip() == "":
            properties.setdefault(name, "\n".join(values))
            name = None
        elif name is not None:
            values.append(line.rstrip("\r"))
    return properties
