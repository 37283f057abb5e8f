"""Batch scoring: many compounds validated up front, then analysed in chunks on Dask.

In a notebook::

    from impulator import batch
    df = batch.score("compounds.csv", similarity=0.8)   # a progress bar; a LocalCluster,
    df.attrs["errors"]                                   # or the hub's Dask Gateway

``read_batch`` reads and validates (a list, a DataFrame, a CSV/TSV or SDF file, uploaded
bytes); ``read_upload`` reads an uploaded file's format, columns and first records for a
preview, before validation; ``score_chunk`` is the function Dask workers run, for ``score``
here and for the durable jobs of :mod:`impulator.jobs`; ``open_client`` chooses where chunks
run.

Example:
    >>> from impulator.batch import read_batch
    >>> batch = read_batch(["CCO", "OCC", "not a smiles!"])
    >>> len(batch.rows), batch.rows[0].inchikey == batch.rows[1].inchikey, batch.errors[0].row
    (2, True, 3)
"""

from impulator._errors import BatchTooLarge
from impulator.batch._chunk import ChunkResult, row_key, score_chunk
from impulator.batch._executor import open_client
from impulator.batch._files import (
    SDF_SUFFIXES,
    Record,
    decode,
    read_sdf,
    read_table,
    sniff_delimiter,
)
from impulator.batch._input import (
    ALIASES,
    KINDS,
    BatchInput,
    BatchRow,
    RowError,
    read_batch,
)
from impulator.batch._score import chunk_size_for, chunked, score
from impulator.batch._upload import Upload, read_upload
from impulator.batch._validate import validate

__all__ = [
    "ALIASES",
    "KINDS",
    "SDF_SUFFIXES",
    "BatchInput",
    "BatchRow",
    "BatchTooLarge",
    "ChunkResult",
    "Record",
    "RowError",
    "Upload",
    "chunk_size_for",
    "chunked",
    "decode",
    "open_client",
    "read_batch",
    "read_sdf",
    "read_table",
    "read_upload",
    "row_key",
    "score",
    "score_chunk",
    "sniff_delimiter",
    "validate",
]
