"""Fuzzing ``chem.standardize`` and ``batch.read_batch`` (CSV, TSV, SDF) with hypothesis.

No crash: only the documented errors (``InvalidStructure`` from standardize; ``ValueError``,
``BatchTooLarge`` included, from read_batch for a file with no compounds or no column). In
every batch read, each row is either kept (every valid row is) or named with its number and a
reason.

The number of cases comes from a hypothesis profile chosen by ``IMPULATOR_FUZZ``: ``ci`` (the
default: what ``make test`` runs) or ``long`` (``make fuzz``: 10,000 cases per test).
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rdkit import Chem

from impulator import InvalidStructure
from impulator.batch import read_batch
from impulator.chem import Structure, standardize
from tests.hostile_inputs import SQL

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "impulator-fuzz-ci",
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=_SUPPRESS,
)
settings.register_profile(
    "impulator-fuzz-long",
    max_examples=10_000,
    deadline=None,
    database=None,
    suppress_health_check=_SUPPRESS,
)
#: ``ci`` (default) or ``long`` (``make fuzz``).
PROFILE = os.environ.get("IMPULATOR_FUZZ", "ci")
FUZZ = settings.get_profile(f"impulator-fuzz-{PROFILE}")
#: standardize is cheap: the CI profile runs 10,000 cases of it too (about 16 s on 2 cores).
STANDARDIZE = settings(FUZZ, max_examples=max(FUZZ.max_examples, 10_000))

VALID = [
    "CCO",
    "c1ccccc1O",
    "CC(=O)Oc1ccccc1C(=O)O",
    "Cn1c(=O)c2c(ncn2C)n(C)c1=O",
    "C[C@H](N)C(=O)O",
    "[Na+].CC(=O)[O-]",
    "InChI=1S/C2H6O/c1-2-3/h3H,2H2,1H3",
]
SMILES_ALPHABET = "CNOSPFIBrcnosp()[]=#@+-123456789%/\\.*H:~$"
texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=SMILES_ALPHABET, max_size=120),
    st.sampled_from(VALID + SQL),
    st.builds(lambda a, b: a + b, st.sampled_from(VALID), st.text(max_size=20)),
)


@pytest.fixture(autouse=True)
def _timed(request: pytest.FixtureRequest) -> Iterator[None]:
    started = time.monotonic()
    yield
    print(f"\n{request.node.name}: {time.monotonic() - started:.1f} s ({PROFILE} profile)")


@STANDARDIZE
@given(texts)
# RDKit echoes the input cut at a byte count; a cut inside a UTF-8 character made reading its
# log raise UnicodeDecodeError (found by this test).
@example("0000000000000000000000\x80\x80\x80\x80\x80\u0800\u0800\U00010000")
def test_standardize_reads_or_refuses_in_a_sentence(text: str) -> None:
    try:
        found = standardize(text)
    except InvalidStructure as exc:
        message = str(exc)
        assert message.startswith("cannot read ") and exc.reason, message
        assert exc.reason in message and "\n" not in exc.reason
    else:
        assert isinstance(found, Structure) and len(found.inchikey) == 27
        assert Chem.MolFromSmiles(found.smiles) is not None


def _table(rows: list[tuple[str, str]], delimiter: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)  # "\r\n": cells with \r get quoted
    writer.writerow(["smiles", "name"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@FUZZ
@given(
    st.lists(st.one_of(st.sampled_from(VALID), texts), min_size=1, max_size=12),
    st.sampled_from([(",", "in.csv"), (";", "in.csv"), ("\t", "in.tsv")]),
)
def test_read_batch_tables_keep_every_valid_row_and_name_every_invalid_one(
    queries: list[str], dialect: tuple[str, str]
) -> None:
    delimiter, filename = dialect
    # Every row has a name, so no row is blank (blank rows are skipped, not counted).
    rows = [(q, f"n{i}") for i, q in enumerate(queries, start=1)]
    batch = read_batch(_table(rows, delimiter), filename=filename)
    _check(batch, queries, names=True)


def _check(batch: object, queries: list[str], *, names: bool) -> None:
    from impulator.batch import BatchInput

    assert isinstance(batch, BatchInput)
    kept = {r.row: r for r in batch.rows}
    named = {e.row: e for e in batch.errors}
    assert not set(kept) & set(named)
    assert sorted([*kept, *named]) == list(range(1, len(queries) + 1)), (kept, named)
    assert batch.total == len(queries)
    for number, query in enumerate(queries, start=1):
        if query in VALID:
            assert number in kept, (number, query, named.get(number))
        if names and number in kept:
            assert kept[number].name == f"n{number}"
    for error in named.values():
        assert error.reason and "\n" not in error.reason and len(error.input) <= 100


def _molblock(smiles: str, title: str) -> str:
    mol = Chem.MolFromSmiles(smiles)
    mol.SetProp("_Name", title)
    return str(Chem.MolToMolBlock(mol))


MOLBLOCKS = [_molblock(s, f"valid{i}") for i, s in enumerate(VALID[:5])]


@st.composite
def sdf_records(draw: st.DrawFn) -> tuple[str, bool]:
    """One SDF record (without its ``$$$$``) and whether it must be kept."""
    block = draw(st.sampled_from(MOLBLOCKS))
    how = draw(st.sampled_from(["valid", "drop-line", "garble-line", "text"]))
    if how == "valid":
        return block, True
    lines = block.split("\n")
    index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    if how == "drop-line":
        del lines[index]
    elif how == "garble-line":
        lines[index] = draw(st.text(max_size=60).map(lambda t: t.replace("$$$$", "")))
    else:
        lines = [draw(st.text(min_size=1, max_size=200).map(lambda t: t.replace("$$$$", "")))]
    return "\n".join(lines), False


@FUZZ
@given(st.lists(sdf_records(), min_size=1, max_size=8))
def test_read_batch_sdf_keeps_every_valid_record_and_names_every_invalid_one(
    records: list[tuple[str, bool]],
) -> None:
    # A record of blanks only is an "empty record" error; one at the end is trailing space.
    while records and not records[-1][0].strip():
        records.pop()
    if not records:
        return
    text = "".join(f"{block}\n$$$$\n" for block, _ in records)
    batch = read_batch(text.encode("utf-8"), filename="in.sdf")
    kept = {r.row for r in batch.rows}
    named = {e.row for e in batch.errors}
    assert not kept & named
    assert sorted(kept | named) == list(range(1, len(records) + 1))
    for number, (_, valid) in enumerate(records, start=1):
        if valid:
            assert number in kept, (number, batch.errors)


@FUZZ
@given(st.binary(max_size=2_000), st.sampled_from(["in.csv", "in.tsv", "in.sdf", "upload"]))
def test_read_batch_of_any_bytes_reads_or_refuses_in_a_sentence(data: bytes, name: str) -> None:
    try:
        batch = read_batch(data, filename=name)
    except ValueError as exc:
        message = str(exc)
        assert message and message.startswith(name), message
    else:
        numbers = sorted([r.row for r in batch.rows] + [e.row for e in batch.errors])
        assert len(numbers) == len(set(numbers)) == batch.total
        assert all(e.reason for e in batch.errors)
