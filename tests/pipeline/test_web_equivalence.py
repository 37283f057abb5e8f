"""The same Report from the local source and from replayed web responses of the same records.

The web answers are generated from the demo ChEMBL database itself
(``tests/chembl_web_replay.py``) in the documented web format (numbers as strings, similarity
as a percent string, pubmed ids from the document resource), so any difference between the
two reports is a difference in how the two sources read the same records.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import responses

from impulator.chem import standardize
from impulator.config import Settings, get_settings
from impulator.pipeline import analyze
from impulator.pipeline._report import Report
from impulator.sources._chembl_local import ChemblDatabase
from impulator.sources._chembl_web import ChemblWebSource
from tests.chembl_web_replay import ChemblWebReplay
from tests.conftest import DASATINIB

#: The lowest threshold the real service accepts (it answers HTTP 400 below 70%).
SIMILARITY = 0.7
#: A MoleculeACE GSK-3beta ligand of the demo (IMPDEMO-000008): four neighbours at 0.7, no
#: preferred names, so top_k=3 really truncates and null names cross the web format.
GSK3B_LIGAND = "Cc1ccc2c(-c3ccnc(Nc4ccc(F)c(F)c4)n3)c(-c3ccc(F)cc3)nn2n1"
QUERIES = {"dasatinib": DASATINIB, "gsk3b-ligand": GSK3B_LIGAND}
#: The only provenance entries allowed to differ: they name the source, not the records.
SOURCE_FIELDS = {"bioactivity_source", "bioactivity_release", "fingerprint"}


pytestmark = pytest.mark.usefixtures("no_network")


@pytest.fixture(scope="module")
def local(demo_dir: Path) -> ChemblDatabase:
    demo = demo_dir / "demo"
    return ChemblDatabase(f"sqlite:///{demo / 'chembl_demo.sqlite'}", demo / "chembl_demo.h5")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Online, with the data directory and the web cache in tmp (never the user's)."""
    return get_settings(
        {"IMPULATOR_DATA_DIR": str(tmp_path / "data"), "IMPULATOR_WEB_CACHE": str(tmp_path / "hub")}
    )


@pytest.fixture
def replay(local: ChemblDatabase) -> Iterator[ChemblWebReplay]:
    served = ChemblWebReplay(local)
    with responses.RequestsMock() as mock:  # any request the replay does not answer fails
        served.register(mock)
        yield served


def no_wait(seconds: float) -> None:
    raise AssertionError(f"the web source retried (would wait {seconds} s): the replay failed")


def both_reports(
    query: str, local: ChemblDatabase, settings: Settings, *, top_k: int | None, page_size: int
) -> tuple[Report, Report]:
    from_local = analyze(query, source=local, pdb=False, similarity=SIMILARITY, top_k=top_k)
    web = ChemblWebSource(settings, page_size=page_size, sleep=no_wait)
    from_web = analyze(query, source=web, pdb=False, similarity=SIMILARITY, top_k=top_k)
    return from_local, from_web


def assert_same_report(from_local: Report, from_web: Report) -> None:
    assert not from_local.rows.empty  # an empty comparison would prove nothing
    pd.testing.assert_frame_equal(
        from_web.rows, from_local.rows, check_dtype=True, check_exact=True
    )
    summary_local = {k: v for k, v in from_local.summary.items() if k != "seconds"}
    summary_web = {k: v for k, v in from_web.summary.items() if k != "seconds"}
    assert summary_web == summary_local
    assert "seconds" in from_web.summary and "seconds" in from_local.summary
    differing = {
        k
        for k in from_local.provenance.keys() | from_web.provenance.keys()
        if from_local.provenance.get(k) != from_web.provenance.get(k)
    }
    assert differing <= SOURCE_FIELDS
    assert from_web.provenance["bioactivity_source"] == "ChEMBL web API"
    assert (
        from_web.provenance["bioactivity_release"] == from_local.provenance["bioactivity_release"]
    )  # status.json's chembl_db_version, generated from the local release
    assert (from_web.structure, from_web.availability) == (
        from_local.structure,
        from_local.availability,
    )


@pytest.mark.parametrize("page_size", [1000, 1], ids=["one-page", "paged-by-1"])
@pytest.mark.parametrize("query", list(QUERIES.values()), ids=list(QUERIES))
def test_same_report_from_local_and_replayed_web(
    local: ChemblDatabase,
    settings: Settings,
    replay: ChemblWebReplay,
    query: str,
    page_size: int,
) -> None:
    from_local, from_web = both_reports(query, local, settings, top_k=None, page_size=page_size)
    assert_same_report(from_local, from_web)

    # The web path was really used, endpoint by endpoint, and paged when the pages were small.
    neighbours = from_local.summary["neighbours"]
    records = from_local.summary["activities_in"]
    assert replay.hits["status.json"] == 1
    assert replay.hits["document.json"] == 1
    if page_size == 1:
        # one record per page: as many pages as records (the last page has no "next")
        assert replay.hits["similarity"] == neighbours
        assert replay.hits["molecule.json"] == neighbours
        assert replay.hits["activity.json"] == records
    else:
        assert replay.hits["similarity"] == replay.hits["molecule.json"] == 1
        assert replay.hits["activity.json"] == 1


@pytest.mark.parametrize("query", list(QUERIES.values()), ids=list(QUERIES))
def test_same_report_with_top_k(
    local: ChemblDatabase, settings: Settings, replay: ChemblWebReplay, query: str
) -> None:
    from_local, from_web = both_reports(query, local, settings, top_k=3, page_size=1000)
    assert_same_report(from_local, from_web)

    everyone = len(local.similar(standardize(query), SIMILARITY))
    assert from_local.summary["neighbours"] == min(3, everyone)
    similarity = [q for endpoint, q in replay.requests if endpoint == "similarity"]
    assert [q["limit"] for q in similarity] == [["3"]]  # one short page, the rest not asked
    assert replay.hits["activity.json"] == replay.hits["molecule.json"] == 1
