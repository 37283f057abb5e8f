"""The ChEMBL web API (https://www.ebi.ac.uk/chembl/api/data) as a ``BioactivitySource``.

URLs, filters and paging are those of ChEMBL's own client, ``chembl_webresource_client``
0.10.9: ``molecule/{chembl_id|inchikey}.json``, ``molecule.json?pref_name__iexact=...`` and
``molecule_synonyms__molecule_synonym__iexact=...``, ``similarity/{smiles}/{percent}.json``,
``activity.json?molecule_chembl_id__in=...&standard_type__in=...``, ``document.json``,
``status.json``; ``limit``/``offset``, repeated ``only`` fields, pages followed through
``page_meta.next``. The client itself is not driven, for what reading it showed:

- ``new_client`` downloads the SPORE schema when imported (fails offline, slows imports);
- its ``Settings`` is one process-wide singleton, so two sources cannot have two caches;
- its cache is a SQLite file named relative to the home directory (one per user);
- its urllib3 retries cover every 4xx (an unknown id costs back-off sleeps), cannot take an
  injected sleep, and lists are POSTed with ``X-HTTP-Method-Override: GET``.

So the same documented GET calls go through one ``requests`` session whose cache is a
``requests_cache`` *filesystem* backend in ``Settings.web_cache_dir`` (one JSON file per
response: many kernels of a hub share it without the locking of one SQLite file on shared
storage). Only 200 answers are cached, for a day (the client's ``CACHE_EXPIRE``).
Requests are bounded by a semaphore of ``max_concurrency`` (chunked ``__in`` queries fan out
over a thread pool of that size); 429 and 5xx are retried with exponential back-off or the
server's ``Retry-After``; connection errors and timeouts are retried, then reported as
:class:`SourceUnavailable`. ``pubmed_id`` is not in the activity resource: it is filled
from the ``document`` resource, one batched call per 50 documents, as the local source does.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import pandas as pd
import requests

from impulator._errors import InvalidInput, SourceError, SourceUnavailable, UnknownCompound
from impulator.chem import Structure
from impulator.config import Settings, get_settings
from impulator.sources._base import (
    ACTIVITY_RECORD_COLUMNS,
    MOLECULE_COLUMNS,
    SIMILARITY_COLUMNS,
    CompoundRecord,
)
from impulator.sources._http import retry_after

__all__ = ["CACHE_NAME", "DEFAULT_BASE_URL", "FINGERPRINT", "MIN_SIMILARITY", "ChemblWebSource"]

DEFAULT_BASE_URL = "https://www.ebi.ac.uk/chembl/api/data"
FINGERPRINT = "Morgan r2 2048 (ChEMBL web similarity)"
#: Lowest similarity asked of the service (40%). Its published source (chembl_webservices_py3)
#: rejects < 70% with HTTP 400; that surfaces as a SourceError naming the URL.
MIN_SIMILARITY = 0.40
#: Folder of the response cache inside ``Settings.web_cache_dir``.
CACHE_NAME = "chembl-web"
CACHE_EXPIRE = 24 * 3600
_MAX_WAIT = 300.0  # never obey a Retry-After longer than this
_ACTIVITY_FIELDS = [c for c in ACTIVITY_RECORD_COLUMNS if c != "pubmed_id"]
_SIMILARITY_FIELDS = list(SIMILARITY_COLUMNS)
_CHEMBL_ID = re.compile(r"^CHEMBL\d+$")
_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{10}-[A-Z]$")
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)

Json = dict[str, Any]
Params = dict[str, str | int | list[str]]
T = TypeVar("T")
R = TypeVar("R")


class ChemblWebSource:
    """ChEMBL through its web services, cached in the hub's shared web cache directory.

    Args:
        settings: where the cache lives and whether the web may be used (default: environment).
        base_url: root of the data web services.
        max_concurrency: requests in flight at once from this source.
        timeout: seconds to connect and to wait for each answer.
        max_retries: retries after a 429, a 5xx, a timeout or a connection error.
        session: a ready ``requests.Session`` (then its caching is the caller's).
        sleep: how to wait between retries (tests pass a recorder).
        page_size: records per page (the service allows up to 1000).
        max_pages: pages followed per query before giving up (a guard, not a sample).
    """

    name = "ChEMBL web API"
    #: ChEMBL ids per ``__in`` filter: URLs stay far below the client's MAX_URL_SIZE (4000).
    chunk_size = 50

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        max_concurrency: int = 4,
        timeout: float = 30.0,
        max_retries: int = 4,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int = 1000,
        max_pages: int = 200,
    ) -> None:
        if min(max_concurrency, max_pages, page_size) < 1 or max_retries < 0 or timeout <= 0:
            raise InvalidInput(
                "max_concurrency, page_size, max_pages >= 1, max_retries >= 0 needed"
            )
        self.settings = settings or get_settings()
        self.base_url = base_url.rstrip("/")
        self.cache_dir = self.settings.web_cache_dir / CACHE_NAME
        self.max_concurrency = max_concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.page_size = page_size
        self.max_pages = max_pages
        self._sleep = sleep
        self._session = session
        self._session_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._release: str | None = None

    # -- the BioactivitySource protocol -------------------------------------------------------

    def provenance(self) -> dict[str, str]:
        """Source, release (from the ``status`` resource, "unknown" when unreachable or
        offline: never raises) and fingerprint, for reports."""
        if self._release is None:
            status: Json | None = None
            with contextlib.suppress(SourceError):
                if not self.settings.offline:
                    status = self._get(f"{self.base_url}/status.json")
            version = (status or {}).get("chembl_db_version")
            # "ChEMBL_35" -> "ChEMBL 35", as the local source writes its release.
            self._release = str(version).replace("_", " ") if version else "unknown"
        return {"source": self.name, "release": self._release, "fingerprint": FINGERPRINT}

    def resolve(self, query: str) -> CompoundRecord:
        """A ChEMBL id, InChIKey, preferred name or synonym -> the compound (case-insensitive).

        Raises:
            UnknownCompound: the service knows no compound (with a structure) by ``query``.
        """
        self._check_online()
        text = query.strip()
        if not text:
            raise UnknownCompound("an empty name resolves to nothing")
        key = text.upper()
        if _CHEMBL_ID.match(key) or _INCHIKEY.match(key):
            found = self._get(
                f"{self.base_url}/molecule/{quote(key, safe='')}.json", missing_ok=True
            )
            record = _record(found) if found else None
            if record is not None:
                return record
        else:
            for field in ("pref_name__iexact", "molecule_synonyms__molecule_synonym__iexact"):
                hits = self._list(f"{self.base_url}/molecule.json", "molecules", {field: text})
                records = [r for r in map(_record, hits) if r is not None]
                if records:
                    # Lowest ChEMBL number first: the oldest entry, as the local source picks.
                    return min(records, key=lambda r: int(r.molecule_chembl_id[6:]))
        raise UnknownCompound(
            f"{query!r} is not a ChEMBL id, InChIKey, name or synonym known to {self.name}"
        )

    def similar(
        self, structure: Structure, threshold: float, top_k: int | None = None
    ) -> pd.DataFrame:
        """Neighbours with Tanimoto >= ``threshold`` (0.40 or more), best first."""
        self._check_online()
        percent = _percent(threshold)
        if top_k is not None and top_k <= 0:
            return pd.DataFrame([], columns=_SIMILARITY_FIELDS)
        limit = self.page_size if top_k is None else min(top_k, self.page_size)
        hits = self._list(
            self._similarity_url(structure, percent),
            "molecules",
            {"only": _SIMILARITY_FIELDS},
            limit=limit,
            enough=top_k,
        )
        rows = [(h.get("molecule_chembl_id"), h.get("similarity")) for h in hits]
        frame = pd.DataFrame(rows, columns=_SIMILARITY_FIELDS)
        # "92.30769276618958" (percent, a string) -> 0.9230769276618958
        frame["similarity"] = (
            pd.to_numeric(frame["similarity"], errors="coerce").astype(float) / 100
        )
        keep = frame["molecule_chembl_id"].notna() & (frame["similarity"] >= threshold - 1e-9)
        frame = (
            frame[keep]
            .drop_duplicates("molecule_chembl_id")
            .sort_values("similarity", ascending=False, kind="stable", ignore_index=True)
        )
        return frame if top_k is None else frame.head(top_k)

    def count_similar(self, structure: Structure, thresholds: Sequence[float]) -> dict[float, int]:
        """Neighbour counts per threshold: ``page_meta.total_count`` of a one-record page."""
        self._check_online()
        wanted = {t: _percent(t) for t in thresholds}

        def count(threshold: float) -> int:
            percent = wanted[threshold]
            url = self._similarity_url(structure, percent)
            if abs(threshold * 100 - percent) < 1e-6:
                params: Params = {"only": _SIMILARITY_FIELDS, "limit": 1, "offset": 0}
                total = ((self._get(url, params) or {}).get("page_meta") or {}).get("total_count")
                if isinstance(total, int):
                    return total
            # A threshold between whole percents (or no total): count what is listed.
            return int((self.similar(structure, threshold)["similarity"] >= threshold).sum())

        return dict(zip(wanted, self._fan_out(count, list(wanted)), strict=True))

    def molecules(self, chembl_ids: Iterable[str]) -> pd.DataFrame:
        """Molecules with these ids, in the order asked: name, structure, full MW and PSA."""
        self._check_online()
        ids = list(dict.fromkeys(chembl_ids))

        def fetch(chunk: list[str]) -> list[Json]:
            params: Params = {"molecule_chembl_id__in": ",".join(chunk)}
            return self._list(f"{self.base_url}/molecule.json", "molecules", params)

        found = {m.get("molecule_chembl_id"): m for page in self._chunked(fetch, ids) for m in page}
        rows = []
        for chembl_id in ids:
            if (molecule := found.get(chembl_id)) is not None:
                structures = molecule.get("molecule_structures") or {}
                properties = molecule.get("molecule_properties") or {}
                rows.append(
                    (
                        chembl_id,
                        molecule.get("pref_name"),
                        structures.get("canonical_smiles"),
                        properties.get("full_mwt"),
                        properties.get("psa"),
                    )
                )
        frame = pd.DataFrame(rows, columns=list(MOLECULE_COLUMNS))
        for column in ("full_mwt", "psa"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        return frame

    def activities(
        self, chembl_ids: Iterable[str], activity_types: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Activity records of these molecules, with assay, target and document (by
        ``activity_id``); ``pubmed_id`` comes from the document resource."""
        self._check_online()
        ids = list(dict.fromkeys(chembl_ids))
        types = None if activity_types is None else list(dict.fromkeys(activity_types))
        if types == []:
            ids = []

        def fetch(chunk: list[str]) -> list[Json]:
            params: Params = {"molecule_chembl_id__in": ",".join(chunk), "only": _ACTIVITY_FIELDS}
            if types is not None:
                params["standard_type__in"] = ",".join(types)
            return self._list(f"{self.base_url}/activity.json", "activities", params)

        records = [r for page in self._chunked(fetch, ids) for r in page]
        rows = [tuple(record.get(c) for c in _ACTIVITY_FIELDS) for record in records]
        frame = pd.DataFrame(rows, columns=_ACTIVITY_FIELDS)
        for column in ("standard_value", "pchembl_value"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        pubmed = self._pubmed_ids([d for d in frame["document_chembl_id"].dropna().unique()])
        frame["pubmed_id"] = pd.to_numeric(
            frame["document_chembl_id"].map(pubmed), errors="coerce"
        ).astype("Int64")
        frame = frame.reindex(columns=list(ACTIVITY_RECORD_COLUMNS))
        return frame.sort_values("activity_id", kind="stable", ignore_index=True)

    # -- HTTP ---------------------------------------------------------------------------------

    def _pubmed_ids(self, document_ids: list[str]) -> dict[str, Any]:
        def fetch(chunk: list[str]) -> list[Json]:
            params: Params = {
                "document_chembl_id__in": ",".join(chunk),
                "only": ["document_chembl_id", "pubmed_id"],
            }
            return self._list(f"{self.base_url}/document.json", "documents", params)

        pages = self._chunked(fetch, [str(d) for d in document_ids])
        return {str(d.get("document_chembl_id")): d.get("pubmed_id") for p in pages for d in p}

    def _similarity_url(self, structure: Structure, percent: int) -> str:
        # safe="": '/', '#' and '+' of SMILES must not reach the path unescaped.
        return f"{self.base_url}/similarity/{quote(structure.smiles, safe='')}/{percent}.json"

    def _check_online(self) -> None:
        if self.settings.offline:
            raise SourceUnavailable(
                "offline mode (IMPULATOR_OFFLINE) forbids the ChEMBL web API: use a local "
                "ChEMBL (impulator data load-chembl) or the demo data"
            )

    def _http(self) -> requests.Session:
        with self._session_lock:
            if self._session is None:
                import requests_cache

                try:
                    self.cache_dir.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise SourceUnavailable(
                        f"the web cache {self.cache_dir} cannot be created ({exc.strerror}): "
                        "set IMPULATOR_WEB_CACHE to a writable shared directory"
                    ) from None
                self._session = requests_cache.CachedSession(
                    str(self.cache_dir),
                    backend="filesystem",
                    serializer="json",
                    expire_after=CACHE_EXPIRE,
                    allowable_codes=(200,),
                    allowable_methods=("GET",),
                )
                self._session.headers["Accept"] = "application/json"
            return self._session

    def _get(
        self, url: str, params: Params | None = None, *, missing_ok: bool = False
    ) -> Json | None:
        """One GET with retries; None for a 404 when ``missing_ok``."""
        self._check_online()
        session = self._http()
        attempt = 0
        while True:
            wait: float | None = None
            try:
                with self._slots:
                    response = session.get(url, params=params, timeout=self.timeout)
            except _TRANSIENT as exc:
                reason = f"{type(exc).__name__} after {attempt + 1} attempts"
            else:
                status = response.status_code
                if status == 200:
                    return _json(response, self.base_url)
                if status == 404 and missing_ok:
                    return None
                if status != 429 and status < 500:
                    raise SourceError(
                        f"the ChEMBL web API refused {response.url} (HTTP {status}): "
                        f"{response.text[:200]!r}"
                    )
                reason = f"HTTP {status} after {attempt + 1} attempts"
                wait = retry_after(response.headers.get("Retry-After"))
            if attempt >= self.max_retries:
                raise SourceUnavailable(
                    f"the ChEMBL web API at {self.base_url} is unreachable ({reason}): "
                    "use a local ChEMBL (impulator data load-chembl) or the demo data"
                )
            self._sleep(wait if wait is not None else min(2.0**attempt, 60.0))
            attempt += 1

    def _list(
        self,
        url: str,
        collection: str,
        params: Params,
        *,
        limit: int | None = None,
        enough: int | None = None,
    ) -> list[Json]:
        """Every record of a listing, following ``page_meta.next`` (at most ``max_pages``)."""
        query: Params | None = {**params, "limit": limit or self.page_size, "offset": 0}
        items: list[Json] = []
        for _ in range(self.max_pages):
            page = self._get(url, query) or {}
            items.extend(page.get(collection) or [])
            link = (page.get("page_meta") or {}).get("next")
            if not link or (enough is not None and len(items) >= enough):
                return items
            url, query = self._follow(str(link)), None
        raise SourceError(
            f"{url} has more than {self.max_pages} pages of {limit or self.page_size}: "
            "narrow the query or raise max_pages"
        )

    def _follow(self, link: str) -> str:
        # page_meta.next is a path on the same server; never follow one elsewhere.
        url = urljoin(self.base_url + "/", link)
        if urlsplit(url)[:2] != urlsplit(self.base_url)[:2]:
            raise SourceError(f"the ChEMBL web API sent a next page on another server: {url}")
        return url

    def _chunked(self, fetch: Callable[[list[str]], R], ids: list[str]) -> list[R]:
        chunks = [ids[i : i + self.chunk_size] for i in range(0, len(ids), self.chunk_size)]
        return self._fan_out(fetch, chunks)

    def _fan_out(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if len(items) <= 1:
            return [fn(item) for item in items]
        workers = min(self.max_concurrency, len(items))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="chembl-web") as pool:
            return list(pool.map(fn, items))


def _record(molecule: Json) -> CompoundRecord | None:
    structures = molecule.get("molecule_structures") or {}
    smiles = structures.get("canonical_smiles")
    if not smiles or not molecule.get("molecule_chembl_id"):
        return None  # biologics and mixtures without a structure cannot be scored
    return CompoundRecord(
        str(molecule["molecule_chembl_id"]),
        str(smiles),
        molecule.get("pref_name"),
        structures.get("standard_inchi_key"),
    )


def _percent(threshold: float) -> int:
    if not MIN_SIMILARITY - 1e-9 <= threshold <= 1.0 + 1e-9:
        raise InvalidInput(
            f"similarity threshold {threshold} is outside 0.40-1.00: "
            "the ChEMBL web API does not search below 40%"
        )
    return math.floor(threshold * 100 + 1e-6)  # 0.7 * 100 is 70.00000000000001


def _json(response: requests.Response, base_url: str) -> Json:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SourceUnavailable(
            f"the ChEMBL web API at {base_url} answered {response.url} with something other "
            "than JSON (maintenance?): use a local ChEMBL (impulator data load-chembl) or the "
            "demo data"
        )
    return body
