"""The ChEMBL web source against replayed answers (tests/data/chembl_web): never the network."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pytest
import requests
import responses
from responses import matchers

from impulator import SourceError, SourceUnavailable, UnknownCompound, sources
from impulator.chem import Structure, standardize
from impulator.config import Settings, get_settings
from impulator.sources import (
    ACTIVITY_RECORD_COLUMNS,
    MOLECULE_COLUMNS,
    SIMILARITY_COLUMNS,
    BioactivitySource,
)
from impulator.sources._chembl_web import CACHE_NAME, DEFAULT_BASE_URL, ChemblWebSource

DATA = Path(__file__).resolve().parents[1] / "data" / "chembl_web"
API = DEFAULT_BASE_URL
ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
ASPIRIN_KEY = "BSYNRYMUTXBXSQ-UHFFFAOYSA-N"
ASPIRIN_SIMILARITY = f"{API}/similarity/{quote(ASPIRIN, safe='')}/70.json"


def body(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def params(**values: str) -> Any:
    """Match these query parameters, whatever else the request carries."""
    return matchers.query_param_matcher(values, strict_match=False)


pytestmark = pytest.mark.usefixtures("no_network")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # proves nothing is cached per user
    return get_settings(
        {"IMPULATOR_DATA_DIR": str(tmp_path / "data"), "IMPULATOR_WEB_CACHE": str(tmp_path / "hub")}
    )


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def source(settings: Settings, waits: list[float]) -> ChemblWebSource:
    return ChemblWebSource(settings, sleep=waits.append)


@pytest.fixture
def replay() -> Any:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture(scope="module")
def aspirin() -> Structure:
    return standardize(ASPIRIN)


# -- imports and protocol -------------------------------------------------------------------


def test_import_makes_no_request(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "impulator.sources._chembl_web"
    # Put the original module back afterwards: other tests hold its classes.
    monkeypatch.setattr(sources, "_chembl_web", sys.modules[name])
    monkeypatch.delitem(sys.modules, name)
    with responses.RequestsMock() as mock:  # strict: nothing registered, any call fails
        module = importlib.import_module(name)
        module.ChemblWebSource(get_settings({"IMPULATOR_DATA_DIR": "/nonexistent"}))
        assert len(mock.calls) == 0
    code = (
        "import socket, sys\n"
        "def refuse(*a, **k): raise SystemExit('network')\n"
        "socket.socket.connect = refuse\n"
        "import impulator.sources._chembl_web\n"
        "assert not [m for m in sys.modules if m.startswith('chembl_webresource_client')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_satisfies_the_protocol(source: ChemblWebSource) -> None:
    assert isinstance(source, BioactivitySource)
    assert source.name == "ChEMBL web API"


# -- resolve --------------------------------------------------------------------------------


def test_resolve_by_chembl_id_and_inchikey(source: ChemblWebSource, replay: Any) -> None:
    replay.get(f"{API}/molecule/CHEMBL25.json", json=body("molecule_CHEMBL25.json"))
    replay.get(f"{API}/molecule/{ASPIRIN_KEY}.json", json=body("molecule_CHEMBL25.json"))
    by_id = source.resolve(" chembl25 ")
    assert (by_id.molecule_chembl_id, by_id.canonical_smiles) == ("CHEMBL25", ASPIRIN)
    assert (by_id.pref_name, by_id.inchikey) == ("ASPIRIN", ASPIRIN_KEY)
    assert source.resolve(ASPIRIN_KEY.lower()) == by_id


def test_resolve_by_name_then_synonym(source: ChemblWebSource, replay: Any) -> None:
    molecules = f"{API}/molecule.json"
    replay.get(
        molecules,
        json=body("molecules_dasatinib.json"),
        match=[params(pref_name__iexact="dasatinib")],
    )
    replay.get(
        molecules, json=body("molecules_none.json"), match=[params(pref_name__iexact="Sprycel")]
    )
    replay.get(
        molecules,
        json=body("molecules_dasatinib.json"),
        match=[params(molecule_synonyms__molecule_synonym__iexact="Sprycel")],
    )
    assert source.resolve("dasatinib").molecule_chembl_id == "CHEMBL1421"
    record = source.resolve("Sprycel")
    assert record.molecule_chembl_id == "CHEMBL1421" and record.pref_name == "DASATINIB"
    assert record.inchikey == "ZBNZXTGUTAYRHI-UHFFFAOYSA-N"


def test_unknown_compounds(source: ChemblWebSource, replay: Any) -> None:
    replay.get(f"{API}/molecule/CHEMBL999999999.json", status=404, json={"error_message": "x"})
    replay.get(f"{API}/molecule.json", json=body("molecules_none.json"))
    with pytest.raises(UnknownCompound, match="CHEMBL999999999"):
        source.resolve("CHEMBL999999999")
    with pytest.raises(UnknownCompound, match="'no such drug'"):
        source.resolve("no such drug")
    with pytest.raises(UnknownCompound):
        source.resolve("   ")
    assert len(replay.calls) == 3  # one id lookup, a name and a synonym search; 404 not retried


# -- similarity -----------------------------------------------------------------------------


def test_similar_parses_percent_strings_best_first(
    source: ChemblWebSource, replay: Any, aspirin: Structure
) -> None:
    replay.get(ASPIRIN_SIMILARITY, json=body("similarity_aspirin_70.json"))
    frame = source.similar(aspirin, 0.7)
    assert tuple(frame.columns) == SIMILARITY_COLUMNS
    assert frame["similarity"].dtype == "float64"
    assert frame["molecule_chembl_id"].tolist()[:2] == ["CHEMBL25", "CHEMBL4000301"]
    assert frame["similarity"].tolist() == pytest.approx([1.0, 0.9230769, 0.7692308, 0.7])
    assert frame["similarity"].is_monotonic_decreasing
    assert replay.calls[0].request.params["only"] == ["molecule_chembl_id", "similarity"]


def test_similar_top_k_asks_for_one_short_page(
    source: ChemblWebSource, replay: Any, aspirin: Structure
) -> None:
    replay.get(
        ASPIRIN_SIMILARITY, json=body("similarity_aspirin_70_top2.json"), match=[params(limit="2")]
    )
    frame = source.similar(aspirin, 0.7, top_k=2)
    assert frame["molecule_chembl_id"].tolist() == ["CHEMBL25", "CHEMBL4000301"]
    assert len(replay.calls) == 1  # the next page is not needed
    assert source.similar(aspirin, 0.7, top_k=0).empty


def test_similar_rejects_thresholds_the_service_cannot_search(
    source: ChemblWebSource, replay: Any, aspirin: Structure
) -> None:
    for bad in (0.39, 1.5):
        with pytest.raises(ValueError, match="40%"):
            source.similar(aspirin, bad)
    with pytest.raises(ValueError, match="40%"):
        source.count_similar(aspirin, [0.5, 0.3])
    assert len(replay.calls) == 0


def test_count_similar_reads_total_count(
    source: ChemblWebSource, replay: Any, aspirin: Structure
) -> None:
    for percent, total in ((90, 3), (80, 12), (40, 250)):
        page = {
            "molecules": [],
            "page_meta": {
                "limit": 1,
                "next": None,
                "offset": 0,
                "previous": None,
                "total_count": total,
            },
        }
        url = f"{API}/similarity/{quote(ASPIRIN, safe='')}/{percent}.json"
        replay.get(url, json=page, match=[params(limit="1")])
    assert source.count_similar(aspirin, [0.9, 0.8, 0.4]) == {0.9: 3, 0.8: 12, 0.4: 250}


# -- molecules and activities ---------------------------------------------------------------


def test_molecules_columns_and_numbers(source: ChemblWebSource, replay: Any) -> None:
    replay.get(
        f"{API}/molecule.json",
        json=body("molecules_aspirin_dasatinib.json"),
        match=[params(molecule_chembl_id__in="CHEMBL1421,CHEMBL25,CHEMBL404")],
    )
    frame = source.molecules(["CHEMBL1421", "CHEMBL25", "CHEMBL404", "CHEMBL25"])
    assert tuple(frame.columns) == MOLECULE_COLUMNS
    assert frame["molecule_chembl_id"].tolist() == ["CHEMBL1421", "CHEMBL25"]  # as asked
    assert frame["full_mwt"].dtype == "float64" and frame["psa"].dtype == "float64"
    aspirin = frame.set_index("molecule_chembl_id").loc["CHEMBL25"]
    assert (aspirin["full_mwt"], aspirin["psa"]) == (180.16, 63.6)
    assert aspirin["canonical_smiles"] == ASPIRIN and aspirin["pref_name"] == "ASPIRIN"


def test_activities_follow_pages_and_fill_pubmed(settings: Settings, replay: Any) -> None:
    source = ChemblWebSource(settings, page_size=2)
    activity = f"{API}/activity.json"
    replay.get(
        activity,
        json=body("activity_CHEMBL25_page1.json"),
        match=[params(molecule_chembl_id__in="CHEMBL25", offset="0")],
    )
    replay.get(
        activity,
        json=body("activity_CHEMBL25_page2.json"),
        match=[params(molecule_chembl_id__in="CHEMBL25", offset="2")],
    )
    replay.get(f"{API}/document.json", json=body("documents.json"))
    frame = source.activities(["CHEMBL25"])
    assert replay.calls[0].request.params["limit"] == "2"
    assert tuple(frame.columns) == ACTIVITY_RECORD_COLUMNS
    assert frame["activity_id"].tolist() == [1000101, 1000102, 1000103]
    for column in ("standard_value", "pchembl_value"):
        assert frame[column].dtype == "float64"
    assert frame["standard_value"].tolist() == [1670.0, 100000.0, 45.0]
    assert frame["pchembl_value"].iloc[0] == 5.78 and frame["pchembl_value"].iloc[1:].isna().all()
    assert frame["standard_relation"].tolist() == ["=", ">", "="]
    assert frame["data_validity_comment"].iloc[2] == "Outside typical range"
    assert pd.isna(frame["data_validity_comment"].iloc[0])
    assert frame["pubmed_id"].dtype == "Int64"
    assert frame["pubmed_id"].tolist() == [20000001, 20000001, 20000002]


def test_activities_of_dasatinib_filtered_by_type(source: ChemblWebSource, replay: Any) -> None:
    replay.get(
        f"{API}/activity.json",
        json=body("activity_CHEMBL1421_Ki.json"),
        match=[params(molecule_chembl_id__in="CHEMBL1421", standard_type__in="Ki")],
    )
    replay.get(f"{API}/document.json", json=body("documents.json"))
    frame = source.activities(["CHEMBL1421"], ["Ki"])
    row = frame.iloc[0]
    assert len(frame) == 1 and row["target_chembl_id"] == "CHEMBL1862"
    assert (row["standard_type"], row["standard_value"], row["standard_units"]) == (
        "Ki",
        0.457,
        "nM",
    )
    assert row["pchembl_value"] == 9.34 and row["assay_type"] == "B"
    assert pd.isna(row["pubmed_id"])
    assert source.activities(["CHEMBL1421"], []).empty and len(replay.calls) == 2
    assert tuple(source.activities([]).columns) == ACTIVITY_RECORD_COLUMNS


def test_chunks_run_with_bounded_concurrency(settings: Settings, replay: Any) -> None:
    source = ChemblWebSource(settings, max_concurrency=2)
    source.chunk_size = 1
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return 200, {}, json.dumps(body("molecules_none.json"))

    replay.add_callback(responses.GET, f"{API}/molecule.json", callback=answer)
    assert source.molecules([f"CHEMBL{i}" for i in range(1, 7)]).empty
    assert len(replay.calls) == 6 and state["most"] == 2


def test_page_guard(settings: Settings, replay: Any) -> None:
    source = ChemblWebSource(settings, page_size=2, max_pages=1)
    replay.get(f"{API}/activity.json", json=body("activity_CHEMBL25_page1.json"))
    with pytest.raises(SourceError, match="more than 1 pages"):
        source.activities(["CHEMBL25"])


def test_next_page_on_another_server_is_refused(source: ChemblWebSource, replay: Any) -> None:
    page = body("activity_CHEMBL25_page1.json")
    page["page_meta"]["next"] = "https://evil.example/activity.json?offset=2"
    replay.get(f"{API}/activity.json", json=page)
    with pytest.raises(SourceError, match="another server"):
        source.activities(["CHEMBL25"])


# -- failures -------------------------------------------------------------------------------


def test_429_waits_as_told_then_succeeds(
    source: ChemblWebSource, replay: Any, waits: list[float]
) -> None:
    url = f"{API}/molecule/CHEMBL25.json"
    replay.get(url, status=429, headers={"Retry-After": "7"})
    replay.get(url, json=body("molecule_CHEMBL25.json"))
    assert source.resolve("CHEMBL25").molecule_chembl_id == "CHEMBL25"
    assert waits == [7.0]


def test_5xx_is_retried_with_backoff_then_unavailable(
    source: ChemblWebSource, replay: Any, waits: list[float]
) -> None:
    replay.get(f"{API}/molecule/CHEMBL25.json", status=503)
    with pytest.raises(SourceUnavailable, match=r"unreachable \(HTTP 503 after 5 attempts\)"):
        source.resolve("CHEMBL25")
    assert len(replay.calls) == 5 and waits == [1.0, 2.0, 4.0, 8.0]


@pytest.mark.parametrize(
    "error", [requests.ConnectionError("refused"), requests.ReadTimeout("slow")]
)
def test_connection_errors_become_unavailable(
    settings: Settings, replay: Any, waits: list[float], error: Exception
) -> None:
    source = ChemblWebSource(settings, max_retries=2, sleep=waits.append)
    replay.get(f"{API}/molecule/CHEMBL25.json", body=error)
    with pytest.raises(SourceUnavailable) as caught:
        source.resolve("CHEMBL25")
    message = str(caught.value)
    assert f"the ChEMBL web API at {API} is unreachable ({type(error).__name__}" in message
    assert "impulator data load-chembl" in message and "demo data" in message
    assert len(replay.calls) == 3 and waits == [1.0, 2.0]


def test_other_client_errors_are_not_retried(source: ChemblWebSource, replay: Any) -> None:
    replay.get(f"{API}/molecule.json", status=400, body="bad filter")
    with pytest.raises(SourceError, match="HTTP 400"):
        source.resolve("aspirin")
    assert len(replay.calls) == 1


def test_offline_fails_at_once(tmp_path: Path, replay: Any, aspirin: Structure) -> None:
    offline = get_settings({"IMPULATOR_DATA_DIR": str(tmp_path), "IMPULATOR_OFFLINE": "1"})
    source = ChemblWebSource(offline, sleep=lambda seconds: pytest.fail("no wait when offline"))
    calls: list[Callable[[], object]] = [
        lambda: source.resolve("CHEMBL25"),
        lambda: source.similar(aspirin, 0.7),
        lambda: source.count_similar(aspirin, [0.7]),
        lambda: source.molecules(["CHEMBL25"]),
        lambda: source.activities(["CHEMBL25"]),
    ]
    for call in calls:
        with pytest.raises(SourceUnavailable, match="offline"):
            call()
    assert source.provenance()["release"] == "unknown"
    assert len(replay.calls) == 0 and not offline.web_cache_dir.exists()


# -- cache and provenance -------------------------------------------------------------------


def test_one_shared_cache_directory(settings: Settings, replay: Any, tmp_path: Path) -> None:
    replay.get(f"{API}/molecule/CHEMBL25.json", json=body("molecule_CHEMBL25.json"))
    first, second = ChemblWebSource(settings), ChemblWebSource(settings)
    assert first.cache_dir == second.cache_dir == settings.web_cache_dir / CACHE_NAME
    assert first.resolve("CHEMBL25") == second.resolve("CHEMBL25")
    assert len(replay.calls) == 1  # the second source read the first one's answer
    assert list(first.cache_dir.glob("*.json"))
    assert not (tmp_path / "home").exists()  # no per-user cache file


def test_errors_are_not_cached(settings: Settings, replay: Any, waits: list[float]) -> None:
    url = f"{API}/molecule/CHEMBL25.json"
    replay.get(url, status=500)
    replay.get(url, json=body("molecule_CHEMBL25.json"))
    ChemblWebSource(settings, sleep=waits.append).resolve("CHEMBL25")
    assert ChemblWebSource(settings).resolve("CHEMBL25").pref_name == "ASPIRIN"
    assert len(replay.calls) == 2


def test_provenance(source: ChemblWebSource, replay: Any) -> None:
    replay.get(f"{API}/status.json", json=body("status.json"))
    expected = {
        "source": "ChEMBL web API",
        "release": "ChEMBL 35",
        "fingerprint": "Morgan r2 2048 (ChEMBL web similarity)",
    }
    assert source.provenance() == expected
    assert source.provenance() == expected and len(replay.calls) == 1


def test_provenance_when_unreachable(settings: Settings, replay: Any) -> None:
    source = ChemblWebSource(settings, max_retries=0)
    replay.get(f"{API}/status.json", body=requests.ConnectionError("down"))
    assert source.provenance()["release"] == "unknown"
