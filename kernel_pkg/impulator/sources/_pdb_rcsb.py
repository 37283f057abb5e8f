"""PDB entries and resolutions live from RCSB's web APIs (never used unless chosen).

1. Ligand codes, Search API v2 (``POST search.rcsb.org/rcsbsearch/v2/query``, return type
   ``mol_definition``): ``mode="exact"`` sends a ``text_chem`` terminal query,
   ``rcsb_chem_comp_descriptor.InChIKey`` ``exact_match`` the structure's InChIKey;
   ``mode="similarity"`` sends a ``chemical`` descriptor query (the parent SMILES,
   ``match_type: "fingerprint-similarity"``). That service takes no threshold (its parameters
   are value, type, descriptor_type, match_type and match_subset), so the candidates' SMILES
   are fetched and kept only when the Tanimoto of their Morgan fingerprints (radius 2,
   2048 bits, as everywhere in impulator) reaches ``threshold``: the threshold is ours,
   explicit, and reported in the note.
2. Entries per ligand code, Search API (``text`` service,
   ``rcsb_nonpolymer_entity_container_identifiers.nonpolymer_comp_id``, return type ``entry``).
3. Resolutions, Data API GraphQL (``entries(entry_ids: [...])``, field
   ``rcsb_entry_info.resolution_combined``), in batches.

HTTP 204 from the Search API means no hit. 429 and 5xx answers are retried a bounded number of
times with exponential backoff, honouring ``Retry-After``; the sleep function is injectable.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import httpx
from rdkit import DataStructs
from rdkit.Chem import rdFingerprintGenerator

from impulator._errors import InvalidInput, SourceError, SourceUnavailable
from impulator._version import __version__
from impulator.chem import Structure, standardize
from impulator.sources._base import PdbEntry, PdbLookup
from impulator.sources._http import chunked, retry_after
from impulator.sources._similarity import FP_PARAMS

__all__ = ["GRAPHQL_URL", "SEARCH_URL", "RcsbWebSource"]

SEARCH_URL = "https://search.rcsb.org/rcsbsearch/v2/query"
GRAPHQL_URL = "https://data.rcsb.org/graphql"
OFFLINE_HINT = "set IMPULATOR_PDB_SOURCE=ccd to work offline"
#: Search API page size, and the most pages read for one query (10,000 hits per page).
PAGE_ROWS = 10_000
MAX_PAGES = 10
_CCD_CODE = re.compile(r"[A-Z0-9]{1,5}")
_RETRY_STATUS = {429, 500, 502, 503, 504}

ENTRIES_QUERY = (
    "query($ids: [String!]!) { entries(entry_ids: $ids) "
    "{ rcsb_id rcsb_entry_info { resolution_combined } } }"
)
CHEM_COMPS_QUERY = (
    "query($ids: [String!]!) { chem_comps(comp_ids: $ids) "
    "{ rcsb_id rcsb_chem_comp_descriptor { SMILES SMILES_stereo } } }"
)


class RcsbWebSource:
    """Ligand codes, entries and resolutions of a structure from RCSB (needs the network).

    Args:
        mode: ``"exact"`` (InChIKey) or ``"similarity"`` (Tanimoto >= ``threshold``).
        threshold: similarity threshold, used in ``"similarity"`` mode.
        client: an ``httpx.Client`` to use (kept open; the caller owns it).
        transport: a transport for the client built here (tests pass ``httpx.MockTransport``).
        timeout: seconds per request.
        max_retries: retries after a 429, a 5xx or a network error, before giving up.
        backoff: first wait in seconds, doubled at each retry unless ``Retry-After`` says.
        sleep: how to wait (``time.sleep``); tests record the waits instead.
        batch_size: entry ids per Data API request.

    Example:
        >>> import httpx
        >>> from impulator.chem import standardize
        >>> source = RcsbWebSource(transport=httpx.MockTransport(lambda r: httpx.Response(204)))
        >>> lookup = source.lookup(standardize("CC(=O)Oc1ccccc1C(=O)O"))
        >>> lookup.source, lookup.ligand_codes, lookup.entries
        ('RCSB web', (), ())
    """

    name = "RCSB web"

    def __init__(
        self,
        mode: Literal["exact", "similarity"] = "exact",
        threshold: float = 0.9,
        *,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        batch_size: int = 200,
    ) -> None:
        if mode not in ("exact", "similarity"):
            raise InvalidInput(f"mode must be 'exact' or 'similarity', not {mode!r}")
        if not 0.0 < threshold <= 1.0:
            raise InvalidInput(f"similarity threshold must be in (0, 1], not {threshold}")
        self.mode = mode
        self.threshold = threshold
        self.max_retries = max(0, int(max_retries))
        self.backoff = backoff
        self.sleep = sleep
        self.batch_size = max(1, int(batch_size))
        self._client = client or httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": f"impulator/{__version__}"},
        )
        self._owns_client = client is None

    def close(self) -> None:
        """Close the HTTP client built here (a client passed in is left to its owner)."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> RcsbWebSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the three steps ------------------------------------------------------------------

    def lookup(self, structure: Structure) -> PdbLookup:
        """Ligand codes matching ``structure``, every entry holding them, their resolutions."""
        details = {"mode": self.mode, "query_inchikey": structure.inchikey}
        if self.mode == "exact":
            codes = self._search_ids(self._exact_query(structure), "mol_definition")
            note = "RCSB Search API, exact InChIKey match; resolutions from the RCSB Data API"
        else:
            candidates = self._search_ids(self._similarity_query(structure), "mol_definition")
            scores = self._tanimoto(structure, candidates)
            codes = [c for c in candidates if scores.get(c, 0.0) >= self.threshold - 1e-9]
            details["candidates"] = str(len(candidates))
            details["similarities"] = ", ".join(f"{c}={scores[c]:.2f}" for c in codes)
            note = (
                f"RCSB Search API fingerprint-similarity candidates, kept at Tanimoto >= "
                f"{self.threshold:g} on Morgan r2 2048 computed here (RCSB's chemical search "
                "takes no threshold); resolutions from the RCSB Data API"
            )
        # BIRD definitions (PRD_...) are peptides and polymers, not nonpolymer ligands.
        ligands = sorted(c for c in codes if _CCD_CODE.fullmatch(c))
        entries: dict[str, str] = {}
        for code in ligands:
            for pdb_id in self._search_ids(self._entries_query(code), "entry"):
                entries.setdefault(pdb_id.upper(), code)  # an entry counts once
        resolutions = self._resolutions(list(entries))
        details["entries_without_resolution"] = str(
            sum(1 for pdb_id in entries if resolutions.get(pdb_id) is None)
        )
        return PdbLookup(
            source=self.name,
            ligand_codes=tuple(ligands),
            entries=tuple(
                PdbEntry(pdb_id, resolutions.get(pdb_id), code) for pdb_id, code in entries.items()
            ),
            note=note if ligands else "no RCSB chemical component matches; " + note,
            details=details,
        )

    @staticmethod
    def _exact_query(structure: Structure) -> dict[str, Any]:
        return {
            "type": "terminal",
            "service": "text_chem",
            "parameters": {
                "attribute": "rcsb_chem_comp_descriptor.InChIKey",
                "operator": "exact_match",
                "value": structure.inchikey,
            },
        }

    @staticmethod
    def _similarity_query(structure: Structure) -> dict[str, Any]:
        return {
            "type": "terminal",
            "service": "chemical",
            "parameters": {
                "value": structure.smiles,
                "type": "descriptor",
                "descriptor_type": "SMILES",
                "match_type": "fingerprint-similarity",
            },
        }

    @staticmethod
    def _entries_query(code: str) -> dict[str, Any]:
        return {
            "type": "terminal",
            "service": "text",
            "parameters": {
                "attribute": "rcsb_nonpolymer_entity_container_identifiers.nonpolymer_comp_id",
                "operator": "exact_match",
                "value": code,
            },
        }

    def _search_ids(self, query: dict[str, Any], return_type: str) -> list[str]:
        """Every identifier the Search API returns for ``query``, page by page."""
        ids: list[str] = []
        for page in range(MAX_PAGES):
            body = {
                "query": query,
                "return_type": return_type,
                "request_options": {
                    "paginate": {"start": page * PAGE_ROWS, "rows": PAGE_ROWS},
                    "results_content_type": ["experimental"],
                },
            }
            answer = self._post(SEARCH_URL, body, "RCSB search")
            if answer is None:  # 204: no (more) results
                break
            hits = answer.get("result_set") or []
            ids.extend(str(hit["identifier"]) for hit in hits if "identifier" in hit)
            if len(ids) >= int(answer.get("total_count", 0)) or len(hits) < PAGE_ROWS:
                break
        return list(dict.fromkeys(ids))

    def _resolutions(self, pdb_ids: Sequence[str]) -> dict[str, float | None]:
        """Best resolution (Å) of each entry; None for NMR and entries without one."""
        found: dict[str, float | None] = {}
        for batch in chunked(pdb_ids, self.batch_size):
            for entry in self._graphql(ENTRIES_QUERY, batch, "entries"):
                values = (entry.get("rcsb_entry_info") or {}).get("resolution_combined") or []
                numbers = [float(v) for v in values if isinstance(v, int | float) and v > 0]
                found[str(entry.get("rcsb_id", "")).upper()] = min(numbers) if numbers else None
        return found

    def _tanimoto(self, structure: Structure, codes: Sequence[str]) -> dict[str, float]:
        """Tanimoto of each candidate's ChEMBL parent to the query (candidates unreadable: 0)."""
        generator = rdFingerprintGenerator.GetMorganGenerator(
            radius=FP_PARAMS["radius"], fpSize=FP_PARAMS["fpSize"]
        )
        query = generator.GetFingerprint(structure.mol)
        scores: dict[str, float] = {}
        ligands = [c for c in codes if _CCD_CODE.fullmatch(c)]
        for batch in chunked(ligands, self.batch_size):
            for comp in self._graphql(CHEM_COMPS_QUERY, batch, "chem_comps"):
                descriptor = comp.get("rcsb_chem_comp_descriptor") or {}
                smiles = descriptor.get("SMILES_stereo") or descriptor.get("SMILES")
                try:
                    mol = standardize(str(smiles)).mol
                except Exception:  # odd CCD SMILES (metals, radicals): not similar, not fatal
                    continue
                fp = generator.GetFingerprint(mol)
                scores[str(comp.get("rcsb_id"))] = DataStructs.TanimotoSimilarity(query, fp)
        return scores

    # -- HTTP -----------------------------------------------------------------------------

    def _graphql(self, query: str, ids: Sequence[str], field: str) -> list[dict[str, Any]]:
        answer = self._post(
            GRAPHQL_URL, {"query": query, "variables": {"ids": list(ids)}}, "RCSB data API"
        )
        if answer is None:
            return []
        if answer.get("errors") and not answer.get("data"):
            raise SourceError(f"RCSB data API refused the query: {answer['errors']!r:.300}")
        rows = (answer.get("data") or {}).get(field) or []
        return [row for row in rows if isinstance(row, dict)]

    def _post(self, url: str, body: dict[str, Any], what: str) -> dict[str, Any] | None:
        """POST JSON; the decoded answer, or None for 204. Retries 429/5xx/network errors."""
        for attempt in range(self.max_retries + 1):
            last = attempt == self.max_retries
            try:
                response = self._client.post(url, json=body)
            except httpx.TransportError as exc:  # connection refused, DNS, timeouts
                if last:
                    raise SourceUnavailable(
                        f"{what} is unreachable ({type(exc).__name__}: {exc}): {OFFLINE_HINT}"
                    ) from None
                self.sleep(self.backoff * 2**attempt)
                continue
            if response.status_code in _RETRY_STATUS:
                if last:
                    raise SourceUnavailable(
                        f"{what} keeps answering HTTP {response.status_code} after "
                        f"{self.max_retries + 1} tries: try later, or {OFFLINE_HINT}"
                    )
                wait = retry_after(response.headers.get("Retry-After"), cap=120.0)
                self.sleep(wait if wait is not None else self.backoff * 2**attempt)
                continue
            if response.status_code == 204:
                return None
            if response.status_code >= 400:
                raise SourceError(
                    f"{what} refused the request (HTTP {response.status_code}: "
                    f"{response.text[:300]})"
                )
            try:
                decoded = response.json()
            except ValueError:
                raise SourceUnavailable(
                    f"{what} answered something that is not JSON: try later, or {OFFLINE_HINT}"
                ) from None
            return decoded if isinstance(decoded, dict) else {}
        raise AssertionError("unreachable")  # the loop returns or raises on its last try
