"""Replay the ChEMBL web API from a local ChEMBL database: the same records, the web's format.

:class:`ChemblWebReplay` answers the GET requests :class:`ChemblWebSource` makes
(``similarity/{smiles}/{percent}.json``, ``molecule.json``, ``activity.json``,
``document.json``, ``status.json``) with JSON bodies in the documented format of
``tests/data/chembl_web/README.md``, generated on the fly from a :class:`ChemblDatabase`:
numbers of ``molecule_properties``, ``standard_value``, ``pchembl_value`` and ``similarity``
(a percent) are strings, ``activity_id`` and ``pubmed_id`` integers, missing values ``null``;
``__in`` filters are comma-separated lists, ``only`` restricts the fields, ``limit``/``offset``
page the answer and ``page_meta.next`` is a server-relative path, as the service's own
``core/pagination.py`` writes it. A request it cannot answer fails the test.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pandas as pd
import requests
import responses
import sqlalchemy as sa

from impulator.chem import standardize
from impulator.sources._base import ACTIVITY_RECORD_COLUMNS
from impulator.sources._chembl_local import ChemblDatabase
from impulator.sources._chembl_web import DEFAULT_BASE_URL

__all__ = ["ACTIVITY_FIELDS", "ChemblWebReplay", "percent_text"]

Json = dict[str, Any]
Answer = tuple[int, dict[str, str], str]

#: Fields of the activity resource the replay serves (``pubmed_id`` is a document field).
ACTIVITY_FIELDS = tuple(c for c in ACTIVITY_RECORD_COLUMNS if c != "pubmed_id")
#: Activity fields the service sends as decimal strings.
_DECIMAL_FIELDS = ("standard_value", "pchembl_value")
_DOCS_SQL = sa.text(
    "SELECT chembl_id, pubmed_id FROM docs WHERE chembl_id IN :ids ORDER BY doc_id"
).bindparams(sa.bindparam("ids", expanding=True))


def percent_text(similarity: float) -> str:
    """A Tanimoto coefficient as the service writes it: a percent string ("100", "92.3...")."""
    text = repr(float(similarity) * 100)
    return text[:-2] if text.endswith(".0") else text


def _decimal(value: Any) -> str | None:
    """A number as the service's decimal strings; None/NaN -> null. ``repr`` round-trips."""
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return repr(number) if math.isfinite(number) else None


def _plain(value: Any) -> Any:
    """numpy/pandas scalars -> JSON values; missing -> None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


class ChemblWebReplay:
    """Answers ``ChemblWebSource`` requests from ``local``; counts requests per endpoint.

    Args:
        local: the database whose records the answers describe.
        base_url: root the web source is pointed at.
    """

    def __init__(self, local: ChemblDatabase, base_url: str = DEFAULT_BASE_URL) -> None:
        self.local = local
        self.base_url = base_url.rstrip("/")
        self.hits: Counter[str] = Counter()
        #: every (endpoint, query parameters) asked, in order of arrival
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self._lock = threading.Lock()

    def register(self, mock: responses.RequestsMock) -> None:
        """Answer every GET under ``base_url`` through :meth:`answer`."""
        pattern = re.compile(re.escape(self.base_url) + r"/.*")
        mock.add_callback(responses.GET, pattern, callback=self.answer)

    # -- dispatch ---------------------------------------------------------------------------

    def answer(self, request: requests.PreparedRequest) -> Answer:
        url = urlsplit(str(request.url))
        root = urlsplit(self.base_url).path
        path = url.path[len(root) :].lstrip("/") if url.path.startswith(root) else url.path
        query = parse_qs(url.query, keep_blank_values=True)
        parts = path.split("/")
        endpoint = "similarity" if parts[0] == "similarity" else path
        with self._lock:
            self.hits[endpoint] += 1
            self.requests.append((endpoint, query))
        if endpoint == "status.json":
            return self._json(self._status())
        if endpoint == "similarity" and len(parts) == 3 and parts[2].endswith(".json"):
            smiles, percent = unquote(parts[1]), int(parts[2][: -len(".json")])
            records = self._similar(smiles, percent)
            return self._json(self._page(url.path, query, "molecules", records))
        if endpoint == "molecule.json" and set(query) <= {"molecule_chembl_id__in", *_PAGING}:
            records = self._molecules(_listed(query, "molecule_chembl_id__in"))
            return self._json(self._page(url.path, query, "molecules", records))
        if endpoint == "activity.json" and set(query) <= {
            "molecule_chembl_id__in",
            "standard_type__in",
            *_PAGING,
        }:
            types = _listed(query, "standard_type__in") if "standard_type__in" in query else None
            records = self._activities(_listed(query, "molecule_chembl_id__in"), types)
            return self._json(self._page(url.path, query, "activities", records))
        if endpoint == "document.json" and set(query) <= {"document_chembl_id__in", *_PAGING}:
            records = self._documents(_listed(query, "document_chembl_id__in"))
            return self._json(self._page(url.path, query, "documents", records))
        raise AssertionError(f"the ChEMBL web replay has no answer for {request.url}")

    # -- resources ---------------------------------------------------------------------------

    def _status(self) -> Json:
        return {
            "chembl_db_version": self.local.release.replace(" ", "_"),
            "status": "UP",
            "api_version": "2.x",
        }

    def _similar(self, smiles: str, percent: int) -> list[Json]:
        # The service has no top_k: every hit at or above the percent, best first, paged.
        hits = self.local.similar(standardize(smiles), percent / 100)
        return [
            {"molecule_chembl_id": str(m), "similarity": percent_text(s)}
            for m, s in zip(hits["molecule_chembl_id"], hits["similarity"], strict=True)
        ]

    def _molecules(self, ids: Sequence[str]) -> list[Json]:
        records = []
        for row in self.local.molecules(ids).to_dict("records"):
            smiles = _plain(row["canonical_smiles"])
            full_mwt, psa = _decimal(row["full_mwt"]), _decimal(row["psa"])
            records.append(
                {
                    "molecule_chembl_id": row["molecule_chembl_id"],
                    "pref_name": _plain(row["pref_name"]),
                    # the service sends null structures/properties for what it does not have
                    "molecule_structures": {"canonical_smiles": smiles} if smiles else None,
                    "molecule_properties": (
                        {"full_mwt": full_mwt, "psa": psa} if full_mwt or psa else None
                    ),
                }
            )
        return records

    def _activities(self, ids: Sequence[str], types: Sequence[str] | None) -> list[Json]:
        frame = self.local.activities(ids, types)
        records = []
        for row in frame.to_dict("records"):
            record = {f: _plain(row[f]) for f in ACTIVITY_FIELDS}
            record["activity_id"] = int(row["activity_id"])
            for field in _DECIMAL_FIELDS:
                record[field] = _decimal(row[field])
            records.append(record)
        return records

    def _documents(self, ids: Sequence[str]) -> list[Json]:
        with self.local.engine.connect() as conn:
            rows = conn.execute(_DOCS_SQL, {"ids": list(ids)}).all()
        return [
            {"document_chembl_id": str(d), "pubmed_id": None if p is None else int(p)}
            for d, p in rows
        ]

    # -- format ------------------------------------------------------------------------------

    def _page(
        self, path: str, query: dict[str, list[str]], collection: str, records: list[Json]
    ) -> Json:
        limit = int(query.get("limit", ["20"])[0])
        offset = int(query.get("offset", ["0"])[0])
        only = query.get("only")
        chosen = records[offset : offset + limit]
        if only:
            unknown = set(only) - {k for r in records for k in r}
            if records and unknown:
                raise AssertionError(f"the replay does not serve {sorted(unknown)} of {path}")
            chosen = [{k: v for k, v in r.items() if k in only} for r in chosen]

        def link(start: int) -> str:
            moved = {**query, "limit": [str(limit)], "offset": [str(start)]}
            return f"{path}?{urlencode(sorted(moved.items()), doseq=True)}"

        more = offset + limit < len(records)
        return {
            collection: chosen,
            "page_meta": {
                "limit": limit,
                "offset": offset,
                "total_count": len(records),
                "previous": link(max(offset - limit, 0)) if offset > 0 else None,
                "next": link(offset + limit) if more else None,
            },
        }

    @staticmethod
    def _json(body: Json) -> Answer:
        return 200, {"Content-Type": "application/json"}, json.dumps(body)


_PAGING = ("limit", "offset", "only")


def _listed(query: dict[str, list[str]], name: str) -> list[str]:
    """An ``__in`` filter's values: comma-separated, possibly repeated."""
    return [v for value in query.get(name, []) for v in value.split(",") if v]
