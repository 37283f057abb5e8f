"""The demo ChEMBL's rows: standardising structures (in worker processes when there are
many) and assembling molecules, targets, assays, compound records and activities in their
final order.

Part of :mod:`impulator.sources._demo`, which documents how the database is made and
decides how many worker processes to use. The worker function :func:`_prepare` is a
top-level function, importable by spawned processes.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, NamedTuple

from rdkit import Chem, rdBase
from rdkit.Chem import rdMolDescriptors

from impulator._errors import InvalidStructure
from impulator.chem import mol_wt, neutralize_oxo_ylides, qed, standardize
from impulator.sources._demo_inputs import _chembl_number, _Drug, _Row, _Target
from impulator.sources._demo_schema import PLACEHOLDER_PREFIX

Progress = Callable[[int, int, str], None]

_PROGRESS_EVERY = 250
_ASSAY_TYPES = {"Ki": "B", "EC50": "F"}


# -- standardisation ----------------------------------------------------------------------------


class _Prepared(NamedTuple):
    """A standardised structure with what the database stores about it."""

    smiles: str
    inchi: str
    inchikey: str
    molfile: str | None
    is_parent: bool  # the input was already its own parent
    properties: dict[str, Any]


def _prepare(smiles: str) -> _Prepared | str:
    """Standardise one SMILES (in a worker process); a string is the reason it failed."""
    try:
        structure = standardize(smiles)
    except InvalidStructure as exc:
        return exc.reason
    with rdBase.BlockLogs():
        parent = structure.mol
        given = Chem.MolFromSmiles(smiles)
        molfile = None
        is_parent = given is not None and Chem.MolToSmiles(given) == structure.smiles
        properties = _properties(parent, given)
    return _Prepared(
        structure.smiles, structure.inchi, structure.inchikey, molfile, is_parent, properties
    )


def _properties(parent: Chem.Mol, given: Chem.Mol | None) -> dict[str, Any]:
    """``compound_properties`` as RDKit computes them (full_* on the input as given)."""
    mw = mol_wt(parent)
    logp = rdMolDescriptors.CalcCrippenDescriptors(parent)[0]
    hba = rdMolDescriptors.CalcNumHBA(parent)
    hbd = rdMolDescriptors.CalcNumHBD(parent)
    hba_lipinski = rdMolDescriptors.CalcNumLipinskiHBA(parent)
    hbd_lipinski = rdMolDescriptors.CalcNumLipinskiHBD(parent)
    rtb = rdMolDescriptors.CalcNumRotatableBonds(parent)
    try:
        drug_likeness: float | None = round(qed(parent), 2)
    except Exception:  # QED fails on a few exotic valences
        drug_likeness = None
    # Rule of three (Congreve et al. 2003): MW < 300, logP <= 3, HBD, HBA, RTB <= 3.
    ro3 = mw < 300 and logp <= 3 and hbd <= 3 and hba <= 3 and rtb <= 3
    return {
        "mw_freebase": round(mw, 2),
        "alogp": round(logp, 2),
        "hba": hba,
        "hbd": hbd,
        "psa": round(rdMolDescriptors.CalcTPSA(neutralize_oxo_ylides(parent)), 2),
        "rtb": rtb,
        "ro3_pass": "Y" if ro3 else "N",
        "num_ro5_violations": _ro5(mw, logp, hba, hbd),
        "full_mwt": round(mol_wt(given), 2) if given is not None else None,
        "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings(parent),
        "heavy_atoms": parent.GetNumHeavyAtoms(),
        "qed_weighted": drug_likeness,
        "mw_monoisotopic": round(rdMolDescriptors.CalcExactMolWt(parent), 4),
        "full_molformula": rdMolDescriptors.CalcMolFormula(given) if given is not None else None,
        "hba_lipinski": hba_lipinski,
        "hbd_lipinski": hbd_lipinski,
        "num_lipinski_ro5_violations": _ro5(mw, logp, hba_lipinski, hbd_lipinski),
    }


def _ro5(mw: float, logp: float, hba: int, hbd: int) -> int:
    """Violations of Lipinski's rule of five."""
    return int(mw > 500) + int(logp > 5) + int(hba > 10) + int(hbd > 5)


def _prepare_with(
    smiles: Sequence[str], workers: int, report: Progress
) -> dict[str, _Prepared | str]:
    """Standardise with ``workers`` processes (1: this one), reporting progress."""
    step = "standardising structures"
    total = len(smiles)
    prepared: dict[str, _Prepared | str] = {}
    pool = None
    results: Iterable[_Prepared | str]
    if workers > 1:
        # Spawned workers: safe under Jupyter kernels and threads, and the same on every OS.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        results = pool.map(_prepare, smiles, chunksize=64)
    else:
        results = map(_prepare, smiles)
    try:
        for done, (text, result) in enumerate(zip(smiles, results, strict=True), 1):
            prepared[text] = result
            if done % _PROGRESS_EVERY == 0 or done == total:
                report(done, total, step)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return prepared


# -- assembling the rows ------------------------------------------------------------------------


class _Molecule(NamedTuple):
    """One row of ``molecule_dictionary`` with its structure and synonyms."""

    molregno: int
    chembl_id: str
    pref_name: str | None
    max_phase: int | None
    molecule_type: str
    first_approval: int | None
    structure: _Prepared
    synonyms: tuple[str, ...]


class _Content(NamedTuple):
    """Everything the database holds, numbered."""

    molecules: list[_Molecule]
    targets: list[tuple[int, _Target]]
    assays: list[tuple[Any, ...]]
    records: list[tuple[Any, ...]]
    activities: list[tuple[Any, ...]]
    skipped: int


def _assemble(
    rows: dict[str, list[_Row]],
    drugs: list[_Drug],
    prepared: dict[str, _Prepared | str],
    known_targets: dict[str, _Target],
) -> _Content:
    """Molecules, targets, assays, records and activities, numbered in their final order."""
    skipped = 0
    inputs: dict[str, list[str]] = {}  # InChIKey -> the SMILES as given
    drugs_by_key: dict[str, list[_Drug]] = {}
    for drug in drugs:
        result = prepared[drug.smiles]
        if isinstance(result, str):
            skipped += 1
            continue
        drugs_by_key.setdefault(result.inchikey, []).append(drug)
        inputs.setdefault(result.inchikey, []).append(drug.smiles)
    for source_rows in rows.values():
        for row in source_rows:
            result = prepared[row.smiles]
            if isinstance(result, str):
                skipped += 1
                continue
            inputs.setdefault(result.inchikey, []).append(row.smiles)

    molecules = []
    placeholder = 0
    for molregno, inchikey in enumerate(sorted(inputs), 1):
        candidates = drugs_by_key.get(inchikey, [])
        if candidates:
            primary = min(
                candidates,
                key=lambda d: (
                    not _as_prepared(prepared[d.smiles]).is_parent,
                    _chembl_number(d.chembl_id),
                    d.chembl_id,
                ),
            )
            synonyms: list[str] = []
            for other in candidates:
                for text in (other.pref_name, other.chembl_id):
                    if text and text not in (primary.pref_name, primary.chembl_id, *synonyms):
                        synonyms.append(text)
            molecules.append(
                _Molecule(
                    molregno=molregno,
                    chembl_id=primary.chembl_id,
                    pref_name=primary.pref_name,
                    max_phase=4,
                    molecule_type=primary.molecule_type or "Small molecule",
                    first_approval=primary.first_approval,
                    structure=_as_prepared(prepared[primary.smiles]),
                    synonyms=tuple(synonyms),
                )
            )
        else:
            placeholder += 1
            molecules.append(
                _Molecule(
                    molregno=molregno,
                    chembl_id=f"{PLACEHOLDER_PREFIX}{placeholder:06d}",
                    pref_name=None,
                    max_phase=None,
                    molecule_type="Small molecule",
                    first_approval=None,
                    structure=_as_prepared(prepared[min(inputs[inchikey])]),
                    synonyms=(),
                )
            )
    molregnos = {m.structure.inchikey: m.molregno for m in molecules}

    sources = sorted(rows)
    used_targets = sorted(
        {t for t in known_targets} | {rows[s][0].target for s in sources if rows[s]},
        key=lambda t: (_chembl_number(t), t),
    )
    targets = [
        (tid, known_targets.get(t) or _Target(t, t, None, None, None, None, known=False))
        for tid, t in enumerate(used_targets, 1)
    ]
    tids = {target.chembl_id: tid for tid, target in targets}
    names = {target.chembl_id: target.pref_name for _, target in targets}

    assays = []
    assay_ids = {}
    for assay_id, source in enumerate(sources, 1):
        target, activity_type = source.rsplit("_", 1)
        assay_ids[source] = assay_id
        # e.g. IMPDEMO-ASSAY-CHEMBL1862-Ki
        description = (
            f"MoleculeACE benchmark set {source}: {activity_type} on {names[target]} "
            f"({target}); each value is the mean of the compound's ChEMBL {activity_type} "
            "values, in nM"
        )
        assays.append(
            (
                assay_id,
                1,
                description,
                _ASSAY_TYPES.get(activity_type),
                tids[target],
                "D",
                9,
                1,
                source,
                f"{PLACEHOLDER_PREFIX}ASSAY-{target}-{activity_type}",
                source,
            )
        )

    records: list[tuple[Any, ...]] = []
    activities: list[tuple[Any, ...]] = []
    for source in sources:
        for row in rows[source]:
            result = prepared[row.smiles]
            if isinstance(result, str):
                continue
            activity_id = len(activities) + 1
            molregno = molregnos[result.inchikey]
            where = f"{row.source}.csv:{row.row}"
            records.append((activity_id, molregno, 1, row.smiles, None, 1, where, where))
            activities.append(
                (
                    activity_id,
                    assay_ids[source],
                    1,
                    activity_id,
                    molregno,
                    "=",
                    row.value,
                    "nM",
                    1,
                    row.activity_type,
                    None,
                    None,
                    0,
                    _pchembl(row.value),
                    1,
                    row.activity_type,
                    "=",
                    row.value,
                    "nM",
                )
            )
    return _Content(molecules, targets, assays, records, activities, skipped)


def _as_prepared(result: _Prepared | str) -> _Prepared:
    """Narrow a standardisation result known to have succeeded."""
    if isinstance(result, str):  # never: callers pass standardised structures only
        raise TypeError(result)
    return result


def _pchembl(value: float | None) -> float | None:
    """round(9 - log10(value in nM), 2), for positive values."""
    if value is None or value <= 0:
        return None
    return round(9.0 - math.log10(value), 2)
