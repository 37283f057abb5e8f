"""A ChEMBL database over SQLAlchemy: an official SQLite or PostgreSQL dump, or the demo.

Only the official schema's table and column names are used (checked against the ChEMBL 35
schema documentation): ``molecule_dictionary``, ``compound_structures``,
``compound_properties``, ``molecule_synonyms``, ``activities``, ``assays``,
``target_dictionary``, ``docs`` and ``version``. Similarity search goes through an FPSim2
index keyed by ``molregno``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from impulator._errors import InvalidInput, SourceUnavailable, UnknownCompound
from impulator._urls import redact
from impulator.chem import Structure
from impulator.sources._base import (
    ACTIVITY_RECORD_COLUMNS,
    MOLECULE_COLUMNS,
    SIMILARITY_COLUMNS,
    CompoundRecord,
)
from impulator.sources._http import chunked
from impulator.sources._similarity import FINGERPRINT, SimilarityIndex, build_index, load_index

__all__ = ["REQUIRED_TABLES", "ChemblDatabase"]

#: Tables read; a database without them is not a ChEMBL dump.
REQUIRED_TABLES = (
    "molecule_dictionary",
    "compound_structures",
    "compound_properties",
    "molecule_synonyms",
    "activities",
    "assays",
    "target_dictionary",
    "docs",
)
_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$")
# Bound parameters per IN (...) query: below SQLite's and PostgreSQL's limits.
_CHUNK = 900

_ACTIVITIES_SQL = """
SELECT a.activity_id, md.chembl_id AS molecule_chembl_id, td.chembl_id AS target_chembl_id,
       a.standard_type, a.standard_relation, a.standard_value, a.standard_units,
       a.pchembl_value, a.data_validity_comment, a.activity_comment,
       s.chembl_id AS assay_chembl_id, s.assay_type, td.pref_name AS target_pref_name,
       td.organism AS target_organism, d.chembl_id AS document_chembl_id, d.pubmed_id
FROM activities a
JOIN molecule_dictionary md ON md.molregno = a.molregno
JOIN assays s ON s.assay_id = a.assay_id
JOIN target_dictionary td ON td.tid = s.tid
LEFT JOIN docs d ON d.doc_id = a.doc_id
WHERE md.chembl_id IN :ids
"""

_MOLECULES_SQL = """
SELECT md.chembl_id AS molecule_chembl_id, md.pref_name, cs.canonical_smiles,
       cp.full_mwt, cp.psa
FROM molecule_dictionary md
LEFT JOIN compound_structures cs ON cs.molregno = md.molregno
LEFT JOIN compound_properties cp ON cp.molregno = md.molregno
WHERE md.chembl_id IN :ids
"""


class ChemblDatabase:
    """A ChEMBL-schema database and its similarity index (a ``BioactivitySource``).

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:////data/chembl_35.db`` or
            ``postgresql+psycopg://user@host/chembl_35``.
        index_path: FPSim2 index of the database (``impulator data index`` builds it).
        name: how reports name the source; default from the dump's ``version`` table.
        release: overrides the release read from the ``version`` table.
    """

    def __init__(
        self,
        url: str,
        index_path: Path | None = None,
        *,
        name: str | None = None,
        release: str | None = None,
    ) -> None:
        self.url = url
        self.index_path = Path(index_path) if index_path else None
        try:
            self.engine = sa.create_engine(url, pool_pre_ping=True)
            with self.engine.connect() as conn:
                tables = set(sa.inspect(conn).get_table_names())
        except (SQLAlchemyError, OSError) as exc:
            raise SourceUnavailable(
                f"cannot open the ChEMBL database {redact(url)} ({exc.__class__.__name__}); "
                "check IMPULATOR_CHEMBL_URL or run `impulator data load-chembl PATH`"
            ) from None
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise SourceUnavailable(
                f"{redact(url)} is not a ChEMBL database: tables {', '.join(missing)} are missing"
            )
        self.release = release or self._read_release(tables)
        self.name = name or f"{self.release} local"

    def _read_release(self, tables: set[str]) -> str:
        if "version" not in tables:
            return "ChEMBL (unknown release)"
        with self.engine.connect() as conn:
            row = conn.execute(sa.text("SELECT name FROM version ORDER BY name DESC")).first()
        return str(row[0]).replace("_", " ") if row and row[0] else "ChEMBL (unknown release)"

    # -- the BioactivitySource protocol -------------------------------------------------------

    def provenance(self) -> dict[str, str]:
        """Source name, release and fingerprint, for reports."""
        return {"source": self.name, "release": self.release, "fingerprint": FINGERPRINT}

    def resolve(self, query: str) -> CompoundRecord:
        """A ChEMBL id, InChIKey, preferred name or synonym -> the compound (case-insensitive).

        Raises:
            UnknownCompound: nothing in the database answers to ``query``.
        """
        text = query.strip()
        if not text:
            raise UnknownCompound("an empty name resolves to nothing")
        base = """
            SELECT md.chembl_id, cs.canonical_smiles, md.pref_name, cs.standard_inchi_key
            FROM molecule_dictionary md
            JOIN compound_structures cs ON cs.molregno = md.molregno
        """
        attempts = [("WHERE md.chembl_id = :q", text.upper())]
        if _INCHIKEY.match(text.upper()):
            attempts.append(("WHERE cs.standard_inchi_key = :q", text.upper()))
        attempts.append(("WHERE UPPER(md.pref_name) = :q", text.upper()))
        attempts.append(
            (
                "WHERE md.molregno IN (SELECT molregno FROM molecule_synonyms"
                " WHERE UPPER(synonyms) = :q)",
                text.upper(),
            )
        )
        with self._connect() as conn:
            for where, value in attempts:
                row = conn.execute(
                    sa.text(f"{base} {where} ORDER BY md.molregno LIMIT 1"), {"q": value}
                ).first()
                if row is not None and row[1]:
                    return CompoundRecord(str(row[0]), str(row[1]), row[2], row[3])
        raise UnknownCompound(
            f"{query!r} is not a ChEMBL id, InChIKey, name or synonym in {self.name}"
        )

    def similar(
        self, structure: Structure, threshold: float, top_k: int | None = None
    ) -> pd.DataFrame:
        """Neighbours with Tanimoto >= ``threshold``, best first."""
        hits = self.index().search(structure, threshold, top_k)
        ids = self._chembl_ids([molregno for molregno, _ in hits])
        rows = [(ids[m], s) for m, s in hits if m in ids]
        return pd.DataFrame(rows, columns=list(SIMILARITY_COLUMNS))

    def count_similar(self, structure: Structure, thresholds: Sequence[float]) -> dict[float, int]:
        """Neighbour counts per threshold (the availability probe)."""
        return self.index().count(structure, thresholds)

    def molecules(self, chembl_ids: Iterable[str]) -> pd.DataFrame:
        """Molecules with these ids, in the order asked: name, structure, full MW and PSA."""
        ids = list(dict.fromkeys(chembl_ids))
        frame = self._query_in(_MOLECULES_SQL, ids, columns=MOLECULE_COLUMNS)
        order = {chembl_id: i for i, chembl_id in enumerate(ids)}
        frame = frame.sort_values("molecule_chembl_id", key=lambda c: c.map(order), kind="stable")
        frame = frame.reset_index(drop=True)
        for column in ("full_mwt", "psa"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        return frame

    def activities(
        self, chembl_ids: Iterable[str], activity_types: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Activity records of these molecules, with assay, target and document."""
        sql = _ACTIVITIES_SQL
        params: dict[str, Any] = {}
        if activity_types is not None:
            sql += " AND a.standard_type IN :types"
            params["types"] = list(activity_types)
        frame = self._query_in(
            sql + " ORDER BY a.activity_id",
            list(dict.fromkeys(chembl_ids)),
            params,
            columns=ACTIVITY_RECORD_COLUMNS,
        )
        for column in ("standard_value", "pchembl_value"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        frame["pubmed_id"] = pd.to_numeric(frame["pubmed_id"], errors="coerce").astype("Int64")
        return frame

    # -- index and helpers ---------------------------------------------------------------------

    def index(self) -> SimilarityIndex:
        """The similarity index (loaded once per process)."""
        if self.index_path is None:
            raise SourceUnavailable(
                f"{self.name} has no similarity index: build it with `impulator data index`"
            )
        return load_index(self.index_path)

    def build_index(self, path: Path | None = None, progress: Any = None) -> Path:
        """Fingerprint every structure of the database into an FPSim2 index."""
        target = Path(path) if path else self.index_path
        if target is None:
            raise InvalidInput("give the index path")
        with self._connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT canonical_smiles, molregno FROM compound_structures"
                    " WHERE canonical_smiles IS NOT NULL ORDER BY molregno"
                )
            ).all()
        build_index(((str(s), int(m)) for s, m in rows), target, progress)
        self.index_path = target
        return target

    def _chembl_ids(self, molregnos: list[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        with self._connect() as conn:
            for chunk in chunked(molregnos, _CHUNK):
                stmt = sa.text(
                    "SELECT molregno, chembl_id FROM molecule_dictionary WHERE molregno IN :ids"
                ).bindparams(sa.bindparam("ids", expanding=True))
                found.update({int(m): str(c) for m, c in conn.execute(stmt, {"ids": list(chunk)})})
        return found

    def _query_in(
        self,
        sql: str,
        ids: list[str],
        params: dict[str, Any] | None = None,
        *,
        columns: Sequence[str],
    ) -> pd.DataFrame:
        frames = []
        stmt = sa.text(sql).bindparams(sa.bindparam("ids", expanding=True))
        if params and "types" in params:
            stmt = stmt.bindparams(sa.bindparam("types", expanding=True))
        with self._connect() as conn:
            for chunk in chunked(ids, _CHUNK):
                result = conn.execute(stmt, {"ids": list(chunk), **(params or {})})
                frames.append(pd.DataFrame(result.all(), columns=list(result.keys())))
        if not frames:
            # No ids: the same columns as always, as text until the caller types them.
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        return pd.concat(frames, ignore_index=True).reindex(columns=list(columns))

    def _connect(self) -> sa.Connection:
        try:
            return self.engine.connect()
        except SQLAlchemyError as exc:
            raise SourceUnavailable(
                f"the ChEMBL database {redact(self.url)} is unreachable ({exc.__class__.__name__})"
            ) from None
