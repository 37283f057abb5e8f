"""One analysis, SCIENCE.md section 1 step by step: query -> neighbourhood -> scored report."""

from __future__ import annotations

import contextvars
import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import rdkit

from impulator._errors import InvalidInput, InvalidStructure, SourceError, UnknownCompound
from impulator._version import __version__
from impulator.chem import (
    DESCRIPTOR_RULE,
    Structure,
    alert_provenance,
    descriptors,
    interference_flags,
    standardize,
)
from impulator.config import get_settings
from impulator.pipeline._options import AnalyzeOptions, check_similarity
from impulator.pipeline._report import RESULT_COLUMNS, Report
from impulator.pipeline._structure_cache import StructureCache
from impulator.science import (
    DEFAULT_ACTIVITY_TYPES,
    DEFAULT_MODEL,
    Curation,
    CurationMode,
    curate_activities,
    evaluate_cohort,
    pdb_evidence,
)
from impulator.sources import (
    BioactivitySource,
    CompoundRecord,
    PdbLookup,
    PdbSource,
    open_pdb_source,
    open_source,
    probe_thresholds,
)

__all__ = ["analyze", "probe", "structure_profile", "use_structure_cache"]

Progress = Callable[[int, int, str], None]
_STEPS = ("query", "neighbours", "activities", "structures", "pdb", "scores")
_IDENTIFIER = re.compile(r"^([A-Z]{14}-[A-Z]{10}-[A-Z]|CHEMBL\d+|IMPDEMO-\d+)$", re.IGNORECASE)
_NAME = re.compile(r"^[\w][\w ,.'()+\-\[\]]{0,199}$")


def analyze(
    query: str | Structure,
    *,
    similarity: float = 0.90,
    top_k: int | None = None,
    activity_types: Iterable[str] | None = DEFAULT_ACTIVITY_TYPES,
    model: str = DEFAULT_MODEL,
    curation: CurationMode = "curated",
    pdb: bool = True,
    options: AnalyzeOptions | Mapping[str, Any] | None = None,
    source: BioactivitySource | None = None,
    pdb_source: PdbSource | None = None,
    progress: Progress | None = None,
) -> Report:
    """Score the ChEMBL neighbourhood of one compound.

    ``query`` is a SMILES, InChI, molfile record, InChIKey, ChEMBL id, preferred name or
    synonym. Neighbours are the source's compounds with Tanimoto >= ``similarity`` (Morgan
    radius 2, 2048 bits; the query itself included when the source has it), optionally the
    ``top_k`` best. When there are none, ``Report.availability`` holds the neighbour counts at
    lower thresholds (down to 0.40) and ``Report.rows`` is empty.

    Descriptors, flags and PDB evidence are computed once per unique structure and kept for
    later analyses in the same process; standardised structures with their descriptors and
    flags are also kept in the data directory (``cache/structures-*.sqlite``, see
    :class:`StructureCache` and :func:`use_structure_cache`) for every later process.

    The options (``similarity`` to ``pdb``) may instead come as one :class:`AnalyzeOptions`
    (or a mapping of them, as a batch job stores them) in ``options``; they are checked
    before any work.

    Raises:
        ValueError: an option out of range (the message names it and what it accepts).
        TypeError: ``options`` together with a keyword option set to something else.
        InvalidStructure: the query is neither a readable structure nor a known name.
        UnknownCompound: an identifier (ChEMBL id, InChIKey) the source does not know.
        SourceUnavailable: the bioactivity source cannot be reached.

    Example:
        >>> report = analyze("Cc1nc(Nc2ncc(C(=O)Nc3c(C)cccc3Cl)s2)cc(N2CCN(CCO)CC2)n1")
        ... # doctest: +SKIP
        >>> report.rows[["molecule_chembl_id", "target_chembl_id", "pactivity"]].head(1)
        ... # doctest: +SKIP
    """
    chosen = AnalyzeOptions.combine(
        options,
        {
            "similarity": similarity,
            "top_k": top_k,
            "activity_types": activity_types,
            "model": model,
            "curation": curation,
            "pdb": pdb,
        },
    )
    similarity, top_k, model, pdb = chosen.similarity, chosen.top_k, chosen.model, chosen.pdb
    curation = chosen.curation
    types = tuple(chosen.activity_types) if chosen.activity_types is not None else None
    started = time.perf_counter()
    step = _stepper(progress)
    source = source or open_source(progress=progress)
    pdb_source = (pdb_source or open_pdb_source()) if pdb else None
    token = _cache_now.set(_structure_cache())
    try:
        return _run(
            query, similarity, top_k, types, model, curation, pdb, source, pdb_source, step, started
        )
    finally:
        _cache_now.reset(token)


def _run(
    query: str | Structure,
    similarity: float,
    top_k: int | None,
    types: tuple[str, ...] | None,
    model: str,
    curation: CurationMode,
    pdb: bool,
    source: BioactivitySource,
    pdb_source: PdbSource | None,
    step: Callable[[str], None],
    started: float,
) -> Report:

    step("query")
    structure, record = read_query(query, source)
    step("neighbours")
    neighbours = source.similar(structure, similarity, top_k)
    provenance = _provenance(source, pdb_source, model, curation, similarity, top_k, types)
    summary: dict[str, Any] = {
        "query_chembl_id": record.molecule_chembl_id if record else None,
        "similarity_threshold": similarity,
        "neighbours": len(neighbours),
    }
    if neighbours.empty:
        try:
            availability = source.count_similar(structure, probe_thresholds(similarity))
        except SourceError as exc:  # e.g. a web service refusing low thresholds
            availability, summary["probe_note"] = {}, str(exc)
        summary.update(_empty_summary(), seconds=round(time.perf_counter() - started, 3))
        return Report(
            _query_text(query), structure, _empty_rows(), summary, provenance, availability
        )

    ids = neighbours["molecule_chembl_id"].tolist()
    step("activities")
    records = source.activities(ids, types)
    curated = curate_activities(records, mode=curation, activity_types=types)
    step("structures")
    molecules = source.molecules(ids)
    profiles, unreadable = _profiles(molecules, curation)
    step("pdb")
    pdb_table, pdb_notes = _pdb_table(profiles, pdb_source)

    step("scores")
    rows = _join(curated.rows, neighbours, profiles, pdb_table)
    table = evaluate_cohort(rows, model=model, use_pdb=pdb)
    table = table.reindex(columns=list(RESULT_COLUMNS))
    summary.update(_summary(table, curated, unreadable, pdb_notes))
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return Report(_query_text(query), structure, table, summary, provenance)


def read_query(
    query: str | Structure, source: BioactivitySource
) -> tuple[Structure, CompoundRecord | None]:
    """The query as a structure, and the source's record when it was named by id or name."""
    if isinstance(query, Structure):
        return query, None
    text = query.strip() if isinstance(query, str) else query
    if isinstance(text, str) and _IDENTIFIER.match(text):
        record = source.resolve(text)  # UnknownCompound propagates: the id is simply unknown
        return standardize(record.canonical_smiles), record
    try:
        # The same cache as the neighbours' SMILES: a query taken from the source is then
        # standardised once, though it is also its own nearest neighbour.
        parsed = _read_smiles(query) if isinstance(query, str) else None
        return (parsed if isinstance(parsed, Structure) else standardize(query)), None
    except InvalidStructure as exc:
        if not (isinstance(text, str) and _NAME.match(text)):
            raise
        try:
            record = source.resolve(text)
        except UnknownCompound:
            raise InvalidStructure(
                query,
                f"{exc.reason}; nor is it a name or synonym known to {source.name}",
            ) from None
        return standardize(record.canonical_smiles), record


# -- per-structure work, cached across analyses in this process ---------------------------------


_UNSET: Any = object()
_chosen_cache: StructureCache | None = _UNSET
# The structure file of the analysis running in this thread (None: memory only).
_cache_now: contextvars.ContextVar[StructureCache | None] = contextvars.ContextVar(
    "impulator_structure_cache", default=None
)


def use_structure_cache(cache: StructureCache | None) -> None:
    """Read and keep profiled structures in ``cache`` (None: in this process's memory only).

    By default each analysis uses ``StructureCache(settings.data_dir / "cache")`` of the
    settings in force when it starts.
    """
    global _chosen_cache
    _chosen_cache = cache


def _structure_cache() -> StructureCache | None:
    if _chosen_cache is not _UNSET:
        return _chosen_cache
    return _default_structure_cache(get_settings().data_dir)


@functools.lru_cache(maxsize=8)
def _default_structure_cache(data_dir: Path) -> StructureCache:
    return StructureCache(data_dir / "cache")


@functools.lru_cache(maxsize=100_000)
def _read_smiles(smiles: str) -> Structure | str:
    disk = _cache_now.get()
    stored = disk.get(smiles) if disk is not None else None
    if stored is not None:
        return stored
    try:
        return standardize(smiles)
    except InvalidStructure as exc:
        return exc.reason


@functools.lru_cache(maxsize=100_000)
def _profile(structure: Structure) -> dict[str, Any]:
    # Structure equality is SMILES + InChIKey: one profile per unique parent.
    stored = structure._cache.get("profile")
    if isinstance(stored, dict):
        return stored
    flags = interference_flags(structure).as_dict()
    profile = {"inchikey": structure.inchikey, **descriptors(structure), **flags}
    disk = _cache_now.get()
    if disk is not None:
        disk.add(structure, profile)
    return profile


def structure_profile(structure: Structure) -> dict[str, Any]:
    """The descriptors and interference flags of a standardised structure, as ``analyze``
    keeps them: ``inchikey``, the descriptors, the seven flags and ``<flag>_matches``.

    Computed once per structure in a process; one that an analysis of this process profiled
    (every neighbour, so a query the source holds too), or read from the data directory's
    structure file, is not computed again. The dict is shared: do not change it.

    Example:
        >>> from impulator.chem import standardize
        >>> profile = structure_profile(standardize("CCO"))
        >>> profile["inchikey"], profile["redox"], round(profile["mw"], 2)
        ('LFQSCWFLJHTTHZ-UHFFFAOYSA-N', False, 46.07)
    """
    return _profile(structure)


def _profiles(molecules: pd.DataFrame, curation: str) -> tuple[pd.DataFrame, dict[str, str]]:
    rows, unreadable = [], {}
    for record in molecules.itertuples(index=False):
        smiles = record.canonical_smiles
        parsed = _read_smiles(str(smiles)) if isinstance(smiles, str) else "no structure"
        if isinstance(parsed, str):
            unreadable[str(record.molecule_chembl_id)] = parsed
            continue
        row = {
            "molecule_chembl_id": record.molecule_chembl_id,
            "pref_name": record.pref_name,
            "canonical_smiles": parsed.smiles,
            "_structure": parsed,
            **_profile(parsed),
        }
        if curation == "prototype":
            # The prototype took MW and PSA from ChEMBL (salt included) when present.
            for ours, theirs in (("mw", "full_mwt"), ("tpsa", "psa")):
                value = getattr(record, theirs)
                if value is not None and np.isfinite(value):
                    row[ours] = float(value)
        rows.append(row)
    columns = ["molecule_chembl_id", "pref_name", "canonical_smiles", "_structure", "inchikey"]
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=columns)
    return frame, unreadable


_pdb_cache: dict[tuple[str, str], PdbLookup | str] = {}
_pdb_lock = threading.Lock()


def _lookup_pdb(source: PdbSource, structure: Structure) -> PdbLookup | str:
    key = (source.name, structure.inchikey)
    with _pdb_lock:
        cached = _pdb_cache.get(key)
    if cached is not None:
        return cached
    try:
        found: PdbLookup | str = source.lookup(structure)
    except SourceError as exc:  # no PDB evidence is no reason to lose the analysis
        return f"{source.name}: {exc}"
    with _pdb_lock:
        _pdb_cache[key] = found
    return found


def _pdb_table(profiles: pd.DataFrame, source: PdbSource | None) -> tuple[pd.DataFrame, list[str]]:
    columns = ["molecule_chembl_id", "pdb_structures", "pdb_ligands", "pdb_score"]
    if source is None or profiles.empty:
        return pd.DataFrame(columns=columns), []
    rows, notes = [], []
    for molecule_id, structure in zip(
        profiles["molecule_chembl_id"], profiles["_structure"], strict=True
    ):
        found = _lookup_pdb(source, structure)
        if isinstance(found, str):
            notes.append(found)
            rows.append((molecule_id, np.nan, "", np.nan))
            continue
        evidence = pdb_evidence(found.resolutions)
        rows.append(
            (molecule_id, evidence.n_structures, " ".join(found.ligand_codes), evidence.score)
        )
    return pd.DataFrame(rows, columns=columns), sorted(set(notes))


def _join(
    curated: pd.DataFrame,
    neighbours: pd.DataFrame,
    profiles: pd.DataFrame,
    pdb_table: pd.DataFrame,
) -> pd.DataFrame:
    """Activity rows with their neighbour's similarity, profile and PDB evidence, best first.

    The same as merging left on neighbours, inner on profiles, left on PDB evidence and
    sorting by similarity (descending) then ChEMBL id; done by position when every table has
    one row per molecule and every activity row finds its neighbour and PDB row (always, in
    an analysis), by pandas' merge otherwise.
    """
    key = "molecule_chembl_id"
    ids = curated[key].to_numpy(dtype=object)
    rights = (neighbours, profiles, pdb_table)
    names = [c for right in rights for c in right.columns if c != key]
    where = [pd.Index(right[key].to_numpy(dtype=object)).get_indexer(ids) for right in rights]
    simple = (
        all(right[key].is_unique for right in rights)
        and len(set(names)) == len(names)
        and not set(names) & set(curated.columns)
        and bool((where[0] >= 0).all())
        and bool((where[2][where[1] >= 0] >= 0).all())
    )
    if not simple:
        rows = (
            curated.merge(neighbours, on=key, how="left")
            .merge(profiles, on=key, how="inner")
            .merge(pdb_table, on=key, how="left")
        )
        rows = rows.sort_values(["similarity", key], ascending=[False, True])
        return rows.reset_index(drop=True)
    kept = np.flatnonzero(where[1] >= 0)  # the inner join: rows whose structure was read
    similarity = neighbours["similarity"].to_numpy(dtype=float)[where[0][kept]]
    _, id_order = np.unique(ids[kept].astype(str), return_inverse=True)
    order = kept[np.lexsort((id_order, -similarity))]  # stable, as sort_values
    parts = [curated.take(order).reset_index(drop=True)]
    for right, positions in zip(rights, where, strict=True):
        taken = right.drop(columns=[key]).take(positions[order])
        parts.append(taken.reset_index(drop=True))
    return pd.concat(parts, axis=1)


# -- report parts --------------------------------------------------------------------------------


def _provenance(
    source: BioactivitySource,
    pdb_source: PdbSource | None,
    model: str,
    curation: str,
    similarity: float,
    top_k: int | None,
    types: tuple[str, ...] | None,
) -> dict[str, Any]:
    described = source.provenance()
    alerts = alert_provenance()
    return {
        "impulator": __version__,
        "scoring_model": model,
        "curation": curation,
        "similarity_threshold": similarity,
        "top_k": top_k,
        "fingerprint": described.get("fingerprint", ""),
        "activity_types": list(types) if types is not None else "all",
        "bioactivity_source": described.get("source", source.name),
        "bioactivity_release": described.get("release", ""),
        "rdkit": rdkit.__version__,
        "descriptor_rule": DESCRIPTOR_RULE,
        "alert_catalogues": alerts["catalogues"],
        "impulator_alerts": alerts["impulator_alerts"],
        "pdb_source": pdb_source.name if pdb_source is not None else "off",
    }


def _summary(
    table: pd.DataFrame, curated: Curation, unreadable: dict[str, str], pdb_notes: list[str]
) -> dict[str, Any]:
    finals = table["final_score"].to_numpy(dtype=float)
    candidates = table["imp_candidate"].fillna(False).astype(bool)
    return {
        "compounds_with_activities": int(table["molecule_chembl_id"].nunique()),
        "activities_in": curated.records_in,
        "activities_kept": curated.records_kept,
        "removed": dict(curated.removed),
        "pchembl_disagreements": curated.pchembl_disagreements,
        "rows": len(table),
        "invalid_rows": int(table["classification"].eq("Invalid").sum()),
        "imp_candidate_rows": int(candidates.sum()),
        "imp_candidate_compounds": int(table.loc[candidates, "molecule_chembl_id"].nunique()),
        "best_score": float(np.nanmax(finals)) if np.isfinite(finals).any() else None,
        "classification_counts": {
            str(k): int(v) for k, v in table["classification"].value_counts().items()
        },
        "unreadable_structures": unreadable,
        "pdb_notes": pdb_notes,
    }


def _empty_summary() -> dict[str, Any]:
    return {
        "compounds_with_activities": 0,
        "activities_in": 0,
        "activities_kept": 0,
        "removed": {},
        "rows": 0,
        "invalid_rows": 0,
        "imp_candidate_rows": 0,
        "imp_candidate_compounds": 0,
        "best_score": None,
        "classification_counts": {},
    }


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=list(RESULT_COLUMNS))


def _query_text(query: str | Structure) -> str:
    return query.input if isinstance(query, Structure) else str(query)


def _stepper(progress: Progress | None) -> Callable[[str], None]:
    def step(name: str) -> None:
        if progress is not None:
            progress(_STEPS.index(name), len(_STEPS), name)

    return step


def probe(
    query: str, similarity: float = 0.90, *, source: BioactivitySource | None = None
) -> dict[float, int]:
    """How many neighbours the bioactivity source has at ``similarity`` and at lower and
    higher thresholds (0.40 to 1.00 by 0.10), before anything is scored; highest first.

    Raises what :func:`analyze` raises for the query (InvalidStructure, UnknownCompound,
    SourceUnavailable).

    Example:
        >>> probe("  ")
        Traceback (most recent call last):
        impulator._errors.InvalidInput: type a SMILES, ChEMBL id or compound name first
    """
    if not query.strip():
        raise InvalidInput("type a SMILES, ChEMBL id or compound name first")
    similarity = check_similarity(similarity)  # the range analyze accepts
    source = source or open_source()
    structure, _record = read_query(query.strip(), source)
    ladder = {round(t / 10, 2) for t in range(4, 11)} | {round(float(similarity), 2)}
    counts = source.count_similar(structure, sorted(ladder, reverse=True))
    return {float(k): int(v) for k, v in sorted(counts.items(), reverse=True)}
