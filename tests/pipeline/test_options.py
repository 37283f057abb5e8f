"""AnalyzeOptions: the one check of an analysis' options, shared by analyze, batch and jobs."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from impulator import batch, jobs, store
from impulator.batch import BatchRow, score_chunk
from impulator.cli import main
from impulator.pipeline import ANALYZE_OPTIONS, AnalyzeOptions, analyze, probe
from impulator.science import DEFAULT_ACTIVITY_TYPES, DEFAULT_MODEL
from impulator.sources._chembl_local import ChemblDatabase
from tests.conftest import DASATINIB

#: (option, bad value, words the message must hold: the option, what it accepts).
BAD: list[tuple[str, Any, str]] = [
    ("similarity", 0.2, "similarity must be between 0.40 and 1.00, not 0.2"),
    ("similarity", 1.5, "similarity must be between 0.40 and 1.00, not 1.5"),
    ("similarity", math.nan, "similarity must be between 0.40 and 1.00, not nan"),
    ("similarity", "0.8", "similarity must be between 0.40 and 1.00, not '0.8'"),
    ("similarity", True, "similarity must be between 0.40 and 1.00, not True"),
    ("top_k", 0, "top_k must be a whole number of at least 1, or None, not 0"),
    ("top_k", -3, "top_k must be a whole number of at least 1, or None, not -3"),
    ("top_k", 2.5, "top_k must be a whole number of at least 1, or None, not 2.5"),
    ("top_k", "10", "top_k must be a whole number of at least 1, or None, not '10'"),
    ("activity_types", "IC50", "activity_types must be a list of ChEMBL activity types"),
    ("activity_types", [], "activity_types is empty: choose at least one"),
    ("activity_types", ["IC50", 5], "activity_types must be ChEMBL activity type names"),
    ("activity_types", ["IC50", " "], "activity_types must be ChEMBL activity type names"),
    ("model", "oqpla-9", "unknown scoring model 'oqpla-9': model must be one of oqpla-2"),
    ("model", None, "unknown scoring model None: model must be one of oqpla-2"),
    ("curation", "strict", "curation must be 'curated' or 'prototype', not 'strict'"),
    ("pdb", "no", "pdb must be True or False, not 'no'"),
    ("pdb", 1, "pdb must be True or False, not 1"),
]
IDS = [f"{name}={value!r}" for name, value, _ in BAD]


def _message(name: str, value: Any) -> str:
    with pytest.raises(ValueError) as info:  # noqa: PT011 - the words are compared below
        AnalyzeOptions(**{name: value})
    return str(info.value)


@pytest.mark.parametrize(("name", "value", "words"), BAD, ids=IDS)
def test_each_bad_value_is_refused_naming_the_option(name: str, value: Any, words: str) -> None:
    message = _message(name, value)
    assert words in message
    assert name in message
    with pytest.raises(ValueError, match="^" + _escaped(message) + "$"):
        AnalyzeOptions.from_mapping({name: value})


def _escaped(text: str) -> str:
    return re.escape(text)


def test_the_defaults_are_those_of_analyze() -> None:
    options = AnalyzeOptions()
    assert options.similarity == 0.90 and options.top_k is None
    assert options.activity_types == DEFAULT_ACTIVITY_TYPES and options.model == DEFAULT_MODEL
    assert options.curation == "curated" and options.pdb is True
    assert ANALYZE_OPTIONS == ("similarity", "top_k", "activity_types", "model", "curation", "pdb")
    assert jobs.ANALYZE_OPTIONS is ANALYZE_OPTIONS


def test_values_are_normalised() -> None:
    options = AnalyzeOptions(
        similarity=np.float64(0.75),
        top_k=np.int64(5),  # type: ignore[arg-type]
        activity_types=(t for t in ["Ki", "IC50"]),  # type: ignore[arg-type]
        pdb=np.bool_(False),  # type: ignore[arg-type]
    )
    expected = AnalyzeOptions(similarity=0.75, top_k=5, activity_types=("Ki", "IC50"), pdb=False)
    assert options == expected
    assert type(options.similarity) is float and type(options.top_k) is int
    assert options.pdb is False and isinstance(options.activity_types, tuple)
    assert AnalyzeOptions(similarity=1).similarity == 1.0
    assert AnalyzeOptions(activity_types=None).activity_types is None


def test_options_are_frozen() -> None:
    with pytest.raises(AttributeError):
        AnalyzeOptions().similarity = 0.5  # type: ignore[misc]


@pytest.mark.parametrize(
    "options",
    [
        AnalyzeOptions(),
        AnalyzeOptions(0.55, 20, ("Ki",), "imp-4", "prototype", False),
        AnalyzeOptions(activity_types=None),
    ],
)
def test_to_dict_and_from_mapping_round_trip_through_json(options: AnalyzeOptions) -> None:
    stored = json.loads(json.dumps(options.to_dict()))
    assert set(stored) == set(ANALYZE_OPTIONS)
    assert AnalyzeOptions.from_mapping(stored) == options


def test_from_mapping_fills_defaults_and_refuses_unknown_names() -> None:
    assert AnalyzeOptions.from_mapping({}) == AnalyzeOptions()
    assert AnalyzeOptions.from_mapping({"similarity": 0.9}) == AnalyzeOptions()
    with pytest.raises(TypeError, match=r"unknown option.*similarty; an analysis takes similarity"):
        AnalyzeOptions.from_mapping({"similarty": 0.8})


def test_options_or_keywords_not_both() -> None:
    chosen = AnalyzeOptions(similarity=0.6)
    assert AnalyzeOptions.combine(chosen, {}) is chosen
    assert AnalyzeOptions.combine(chosen, {"similarity": 0.9, "pdb": True}) is chosen  # defaults
    assert AnalyzeOptions.combine({"top_k": 3}, {}) == AnalyzeOptions(top_k=3)
    with pytest.raises(TypeError, match=r"not both \(model, pdb given as a keyword too\)"):
        AnalyzeOptions.combine(chosen, {"model": "imp-4", "pdb": False})


# -- every entry point refuses the same values with the same words -----------------------------


@pytest.mark.parametrize(("name", "value", "words"), BAD, ids=IDS)
def test_analyze_refuses_bad_values_before_any_work(name: str, value: Any, words: str) -> None:
    message = _message(name, value)
    broken: Any = object()  # a source analyze must never reach
    with pytest.raises(ValueError, match="^" + _escaped(message) + "$"):
        analyze(DASATINIB, source=broken, **{name: value})
    with pytest.raises(ValueError, match="^" + _escaped(message) + "$"):
        analyze(DASATINIB, source=broken, options={name: value})


@pytest.mark.parametrize(("name", "value", "words"), BAD, ids=IDS)
def test_batch_and_jobs_refuse_bad_values_with_the_same_words(
    name: str, value: Any, words: str, tmp_path: Path
) -> None:
    message = _message(name, value)
    exact = "^" + _escaped(message) + "$"
    with pytest.raises(ValueError, match=exact):
        batch.score(["CCO"], object(), progress=False, **{name: value})
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    with pytest.raises(ValueError, match=exact):
        jobs.submit(["CCO"], url=url, **{name: value})
    # a stored job's options are read back on the worker: the row fails with the same words
    [result] = score_chunk([BatchRow(1, "CCO", "smiles")], {name: value})
    assert result.error == message and not result.transient


def test_the_command_line_refuses_bad_values_with_the_same_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["analyze", "CCO", "--top-k", "0"]) == 2
    assert _message("top_k", 0) in capsys.readouterr().err
    assert main(["jobs", "submit", "nowhere.csv", "--similarity", "0.3"]) == 2
    assert _message("similarity", 0.3) in capsys.readouterr().err


def test_probe_takes_the_similarity_range_of_analyze() -> None:
    broken: Any = object()
    with pytest.raises(ValueError, match="^" + _escaped(_message("similarity", 0.2)) + "$"):
        probe(DASATINIB, 0.2, source=broken)


def test_a_job_stores_every_option_as_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite'}"
    chosen = AnalyzeOptions(similarity=0.8, top_k=3, activity_types=("Ki",), pdb=False)
    job = jobs.submit(["CCO"], url=url, options=chosen)
    with store.transaction(url, "read a job") as tx:
        stored = tx.conn.execute(
            sa.select(store.Job.input_data).where(store.Job.id == job.id)
        ).scalar_one()
    assert stored["options"] == chosen.to_dict()
    assert AnalyzeOptions.from_mapping(stored["options"]) == chosen
    keywords = jobs.submit(["CCO"], url=url, similarity=0.8)
    with store.transaction(url, "read a job") as tx:
        stored = tx.conn.execute(
            sa.select(store.Job.input_data).where(store.Job.id == keywords.id)
        ).scalar_one()
    assert stored["options"] == AnalyzeOptions(similarity=0.8).to_dict()
    with pytest.raises(TypeError, match="not both"):
        jobs.submit(["CCO"], url=url, options=chosen, similarity=0.5)


@pytest.fixture(scope="module")
def source(demo_dir: Path) -> ChemblDatabase:
    demo = demo_dir / "demo"
    return ChemblDatabase(f"sqlite:///{demo / 'chembl_demo.sqlite'}", demo / "chembl_demo.h5")


def test_analyze_with_options_equals_analyze_with_keywords(source: ChemblDatabase) -> None:
    keywords = analyze(DASATINIB, source=source, similarity=0.7, top_k=5, pdb=False)
    chosen = AnalyzeOptions(similarity=0.7, top_k=5, pdb=False)
    given = analyze(DASATINIB, source=source, options=chosen)
    assert given.provenance == keywords.provenance
    assert given.rows.equals(keywords.rows)
    with pytest.raises(TypeError, match="not both"):
        analyze(DASATINIB, source=source, options=chosen, model="imp-4")
