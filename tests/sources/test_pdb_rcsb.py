"""RcsbWebSource against replayed RCSB answers (httpx.MockTransport: no network).

The JSON bodies follow the documented formats: Search API v2 answers
``{"query_id", "result_type", "total_count", "result_set": [{"identifier", "score"}]}`` or
HTTP 204 when nothing matches; the Data API answers GraphQL ``{"data": {...}}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from impulator import SourceError, SourceUnavailable
from impulator.chem import standardize
from impulator.sources import PdbSource
from impulator.sources._pdb_rcsb import GRAPHQL_URL, SEARCH_URL, RcsbWebSource

ASPIRIN = standardize("CC(=O)Oc1ccccc1C(=O)O")
COMP_ID = "rcsb_nonpolymer_entity_container_identifiers.nonpolymer_comp_id"


def search_answer(return_type: str, ids: list[str]) -> dict[str, Any]:
    return {
        "query_id": "5e3f0b6e-replay",
        "result_type": return_type,
        "total_count": len(ids),
        "result_set": [{"identifier": i, "score": 1.0} for i in ids],
    }


def entries_answer(resolutions: dict[str, list[float] | None]) -> dict[str, Any]:
    return {
        "data": {
            "entries": [
                {"rcsb_id": pdb_id, "rcsb_entry_info": {"resolution_combined": values}}
                for pdb_id, values in resolutions.items()
            ]
        }
    }


class Replay:
    """Answers requests with ``answer(url, body)`` and records every request body."""

    def __init__(self, answer: Callable[[str, dict[str, Any]], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.sleeps: list[float] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        url = str(request.url)
        self.requests.append((url, body))
        return self.answer(url, body)

    def source(self, **kwargs: Any) -> RcsbWebSource:
        return RcsbWebSource(
            transport=httpx.MockTransport(self.handler), sleep=self.sleeps.append, **kwargs
        )

    def bodies(self, url: str) -> list[dict[str, Any]]:
        return [body for u, body in self.requests if u == url]


def archive(url: str, body: dict[str, Any]) -> httpx.Response:
    """A small RCSB: aspirin is AIN, in three entries (one NMR); SAL is salicylic acid."""
    if url == SEARCH_URL and body["return_type"] == "mol_definition":
        return httpx.Response(200, json=search_answer("mol_definition", ["AIN", "SAL"]))
    if url == SEARCH_URL and body["return_type"] == "entry":
        code = body["query"]["parameters"]["value"]
        ids = {"AIN": ["1OXR", "1TGM", "2N5K"], "SAL": ["1FO4"]}[code]
        return httpx.Response(200, json=search_answer("entry", ids))
    if url == GRAPHQL_URL and "entries(" in body["query"]:
        known = {"1OXR": [1.93], "1TGM": [1.86], "2N5K": None, "1FO4": [2.1]}
        return httpx.Response(
            200, json=entries_answer({i: known[i] for i in body["variables"]["ids"]})
        )
    if url == GRAPHQL_URL and "chem_comps(" in body["query"]:
        smiles = {"AIN": "CC(=O)Oc1ccccc1C(O)=O", "SAL": "OC(=O)c1ccccc1O"}
        rows = [
            {
                "rcsb_id": c,
                "rcsb_chem_comp_descriptor": {"SMILES": smiles[c], "SMILES_stereo": None},
            }
            for c in body["variables"]["ids"]
        ]
        return httpx.Response(200, json={"data": {"chem_comps": rows}})
    return httpx.Response(404, text="not in the replay")


def test_exact_search_replays_codes_entries_and_resolutions() -> None:
    replay = Replay(
        lambda url, body: (
            httpx.Response(200, json=search_answer("mol_definition", ["AIN"]))
            if body.get("return_type") == "mol_definition"
            else archive(url, body)
        )
    )
    source = replay.source()
    assert isinstance(source, PdbSource) and source.name == "RCSB web"
    lookup = source.lookup(ASPIRIN)
    assert lookup.ligand_codes == ("AIN",)
    assert [(e.pdb_id, e.resolution, e.ligand_code) for e in lookup.entries] == [
        ("1OXR", 1.93, "AIN"),
        ("1TGM", 1.86, "AIN"),
        ("2N5K", None, "AIN"),
    ]
    assert lookup.source == "RCSB web" and "exact InChIKey" in lookup.note
    assert lookup.details["entries_without_resolution"] == "1"
    first, second = replay.bodies(SEARCH_URL)
    assert first["return_type"] == "mol_definition"
    assert first["query"] == {
        "type": "terminal",
        "service": "text_chem",
        "parameters": {
            "attribute": "rcsb_chem_comp_descriptor.InChIKey",
            "operator": "exact_match",
            "value": "BSYNRYMUTXBXSQ-UHFFFAOYSA-N",
        },
    }
    assert second["return_type"] == "entry"
    assert second["query"]["parameters"] == {
        "attribute": COMP_ID,
        "operator": "exact_match",
        "value": "AIN",
    }
    (graphql,) = replay.bodies(GRAPHQL_URL)
    assert graphql["variables"] == {"ids": ["1OXR", "1TGM", "2N5K"]}


def test_similarity_threshold_is_applied_to_the_returned_smiles() -> None:
    replay = Replay(archive)
    lookup = replay.source(mode="similarity", threshold=0.9).lookup(ASPIRIN)
    search = replay.bodies(SEARCH_URL)[0]
    assert search["query"]["service"] == "chemical"
    assert search["query"]["parameters"] == {
        "value": ASPIRIN.smiles,
        "type": "descriptor",
        "descriptor_type": "SMILES",
        "match_type": "fingerprint-similarity",
    }
    # SAL came back from RCSB but is below 0.9 to aspirin: dropped, with its entries.
    assert lookup.ligand_codes == ("AIN",)
    assert {e.pdb_id for e in lookup.entries} == {"1OXR", "1TGM", "2N5K"}
    assert "Tanimoto >= 0.9" in lookup.note and "takes no threshold" in lookup.note
    assert lookup.details["candidates"] == "2" and lookup.details["similarities"] == "AIN=1.00"
    loose = Replay(archive).source(mode="similarity", threshold=0.3).lookup(ASPIRIN)
    assert loose.ligand_codes == ("AIN", "SAL")


def test_http_204_means_no_entries() -> None:
    replay = Replay(lambda url, body: httpx.Response(204))
    lookup = replay.source().lookup(ASPIRIN)
    assert lookup.ligand_codes == () and lookup.entries == ()
    assert lookup.note.startswith("no RCSB chemical component matches")
    assert len(replay.requests) == 1  # nothing more is asked


def test_429_waits_as_retry_after_says_then_succeeds() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "3"})])

    def answer(url: str, body: dict[str, Any]) -> httpx.Response:
        return next(answers, None) or archive(url, body)

    replay = Replay(answer)
    lookup = replay.source(max_retries=2).lookup(ASPIRIN)
    assert replay.sleeps == [3.0]
    assert "AIN" in lookup.ligand_codes


def test_503_is_retried_with_backoff_then_gives_up() -> None:
    replay = Replay(lambda url, body: httpx.Response(503, text="maintenance"))
    with pytest.raises(SourceUnavailable, match="HTTP 503 after 4 tries") as info:
        replay.source(max_retries=3, backoff=0.5).lookup(ASPIRIN)
    assert "IMPULATOR_PDB_SOURCE=ccd" in str(info.value)
    assert replay.sleeps == [0.5, 1.0, 2.0]
    assert len(replay.requests) == 4


def test_connection_error_is_source_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    sleeps: list[float] = []
    source = RcsbWebSource(transport=httpx.MockTransport(refuse), sleep=sleeps.append)
    with pytest.raises(SourceUnavailable) as info:
        source.lookup(ASPIRIN)
    message = str(info.value)
    assert message.startswith("RCSB search is unreachable (ConnectError")
    assert message.endswith("set IMPULATOR_PDB_SOURCE=ccd to work offline")
    assert len(sleeps) == source.max_retries


def test_resolutions_are_requested_in_batches() -> None:
    replay = Replay(archive)
    lookup = replay.source(batch_size=2).lookup(ASPIRIN)
    batches = [body["variables"]["ids"] for body in replay.bodies(GRAPHQL_URL)]
    assert batches == [["1OXR", "1TGM"], ["2N5K", "1FO4"]]
    assert len(lookup.entries) == 4  # AIN and SAL both share aspirin's InChIKey in this replay


def test_refused_query_is_a_source_error() -> None:
    replay = Replay(lambda url, body: httpx.Response(400, text='{"message": "bad attribute"}'))
    with pytest.raises(SourceError, match="HTTP 400") as info:
        replay.source().lookup(ASPIRIN)
    assert not isinstance(info.value, SourceUnavailable)


def test_answer_that_is_not_json_is_source_unavailable() -> None:
    replay = Replay(lambda url, body: httpx.Response(200, text="<html>gateway</html>"))
    with pytest.raises(SourceUnavailable, match="not JSON"):
        replay.source().lookup(ASPIRIN)


def test_bad_mode_and_threshold_are_refused() -> None:
    with pytest.raises(ValueError, match="mode"):
        RcsbWebSource(mode="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threshold"):
        RcsbWebSource(mode="similarity", threshold=0.0)
