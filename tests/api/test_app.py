"""The API app on its own: SQLite, tokens resolved by a stand-in for the hub. The real
platform (hub tokens, PostgreSQL row-level security, the runner) is test_platform_api.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from impulator.api import ApiSettings, create_app

TOKENS = {
    "alice-token": {"kind": "user", "name": "alice", "scopes": ["custom:impulator:write"]},
    "vera-token": {"kind": "user", "name": "vera", "scopes": ["custom:impulator:read"]},
    "service-token": {"kind": "service", "name": "x", "scopes": ["custom:impulator:admin"]},
}
BASE = "/services/impulator-api/v1"


async def identify(token: str) -> dict[str, Any] | None:
    return TOKENS.get(token)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = ApiSettings(
        database_url=f"sqlite:///{tmp_path / 'api.sqlite'}",
        prefix="/services/impulator-api/",
        submits_per_minute=3,
        reads_per_minute=30,
        max_upload_bytes=1000,
        identify=identify,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"token {token}"}


def test_no_token_is_401_and_a_bad_one_too(client: TestClient) -> None:
    response = client.get(f"{BASE}/compounds")
    assert response.status_code == 401
    assert "Authorization: token" in response.json()["error"]
    assert client.get(f"{BASE}/compounds", headers=auth("nope")).status_code == 401
    assert client.get(f"{BASE}/compounds", headers=auth("service-token")).status_code == 403


def test_a_read_token_reads_but_cannot_submit(client: TestClient) -> None:
    assert client.get(f"{BASE}/compounds", headers=auth("vera-token")).json()["total"] == 0
    response = client.post(f"{BASE}/compounds", json={"query": "CCO"}, headers=auth("vera-token"))
    assert response.status_code == 403
    assert "custom:impulator:write" in response.json()["error"]


def test_submit_list_and_read_a_job(client: TestClient) -> None:
    response = client.post(
        f"{BASE}/compounds", json={"query": "CCO", "name": "ethanol"}, headers=auth("alice-token")
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued" and job["total"] == 1
    assert response.headers["location"] == f"jobs/{job['id']}"
    listed = client.get(f"{BASE}/jobs", headers=auth("alice-token")).json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]
    again = client.get(f"{BASE}/jobs/{job['id']}", headers=auth("alice-token")).json()
    assert again["id"] == job["id"]
    cancel = client.post(f"{BASE}/jobs/{job['id']}/cancel", headers=auth("alice-token")).json()
    assert cancel["cancelled"] is True and cancel["job"]["status"] == "cancelled"
    events = client.get(f"{BASE}/jobs/{job['id']}/events", headers=auth("alice-token"))
    assert events.text.startswith("event: cancelled\n")


def test_missing_rows_are_404_with_a_sentence(client: TestClient) -> None:
    for path in ("compounds/999", "jobs/999", "jobs/999/events", "exports/csv?ids=999"):
        response = client.get(f"{BASE}/{path}", headers=auth("alice-token"))
        assert response.status_code == 404, path
        assert response.json()["error"].startswith(("No ", "no ")), response.json()


def test_invalid_input_is_a_sentence(client: TestClient) -> None:
    response = client.post(
        f"{BASE}/compounds", json={"query": "CCO", "similarity": 3}, headers=auth("alice-token")
    )
    assert response.status_code == 422
    assert "similarity" in response.json()["error"]
    response = client.get(f"{BASE}/compounds?sort=owner", headers=auth("alice-token"))
    assert response.status_code == 400 and "sort" in response.json()["error"]


def test_the_fourth_submission_in_a_minute_is_429(client: TestClient) -> None:
    if time.time() % 60 > 50:  # not across a minute's edge (the windows are minutes)
        time.sleep(61 - time.time() % 60)
    for _ in range(3):
        ok = client.post(f"{BASE}/compounds", json={"query": "CCO"}, headers=auth("alice-token"))
        assert ok.status_code == 202
    refused = client.post(f"{BASE}/compounds", json={"query": "CCO"}, headers=auth("alice-token"))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "at most 3 a minute" in refused.json()["error"]


def test_an_upload_over_the_limit_is_413_in_words(client: TestClient) -> None:
    body = b"smiles\n" + b"CCO\n" * 500
    response = client.post(f"{BASE}/batches", content=body, headers=auth("alice-token"))
    assert response.status_code == 413
    assert "1 kB" in response.json()["error"]
    small = client.post(
        f"{BASE}/batches?format=csv",
        content=b"smiles,name\nCCO,e\nC1CC,bad\n",
        headers=auth("alice-token"),
    )
    assert small.status_code == 202, small.text
    errors = client.get(f"{BASE}/jobs/{small.json()['id']}/errors", headers=auth("alice-token"))
    assert [e["row"] for e in errors.json()["items"]] == [2] or errors.json()["items"] == []


def test_openapi_docs_and_metrics(client: TestClient) -> None:
    schema = client.get(f"{BASE}/openapi.json").json()
    assert f"{BASE}/compounds/{{compound_id}}" in schema["paths"]
    docs = client.get(f"{BASE}/docs").text
    assert "cdn" not in docs.lower() and f"{BASE}/docs/static/swagger-ui-bundle.js" in docs
    assert client.get(f"{BASE}/docs/static/swagger-ui-bundle.js").status_code == 200
    client.get(f"{BASE}/compounds/12345", headers=auth("alice-token"))
    metrics = client.get("/services/impulator-api/metrics").text
    assert 'route="/v1/compounds/{compound_id}"' in metrics
    assert "12345" not in metrics and "alice" not in metrics
    assert client.get(f"{BASE}/health").json() == {"status": "ok"}
    assert client.get(f"{BASE}/nowhere").json()["error"].startswith("No such address")


def test_distribution_and_trends_of_an_empty_store_and_bad_parameters(
    client: TestClient,
) -> None:
    got = client.get(f"{BASE}/analytics/distribution?bins=5", headers=auth("vera-token"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["rows"] == 0 and len(body["scores"]) == 10
    assert set(body["histograms"]) == {"pactivity", "sei", "bei", "nsei", "nbei"}
    weeks = client.get(f"{BASE}/analytics/trends?every=week&periods=3", headers=auth("vera-token"))
    assert [w["stored"] for w in weeks.json()] == [0, 0, 0]
    for path in ("analytics/distribution?bins=0", "analytics/trends?every=month"):
        refused = client.get(f"{BASE}/{path}", headers=auth("vera-token"))
        assert refused.status_code == 422, path
        assert refused.json()["error"].startswith("Invalid request ("), refused.json()


def test_every_error_is_json_with_a_sentence(client: TestClient) -> None:
    if time.time() % 60 > 50:  # the submissions below within one rate-limit minute
        time.sleep(61 - time.time() % 60)
    """Each kind of refusal: the body is exactly {"error": sentence}, and the sentence says
    what to do (capitalised, ends like a sentence, names the remedy)."""
    alice, vera = auth("alice-token"), auth("vera-token")
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "compounds", {}),
        ("GET", "compounds", {"headers": auth("nope")}),
        ("GET", "compounds", {"headers": auth("service-token")}),
        ("POST", "compounds", {"headers": vera, "json": {"query": "CCO"}}),
        ("GET", "compounds/999", {"headers": alice}),
        ("GET", "compounds/0", {"headers": alice}),
        ("GET", "compounds/abc", {"headers": alice}),
        ("GET", "nowhere", {"headers": alice}),
        ("PUT", "compounds", {"headers": alice}),
        ("GET", "compounds?sort=owner", {"headers": alice}),
        ("GET", "compounds?limit=100000", {"headers": alice}),
        # Three submissions a minute here: the fourth is the 429.
        ("POST", "batches", {"headers": alice, "content": b"x" * 5000}),
        ("POST", "compounds", {"headers": alice, "content": b"{not json"}),
        ("POST", "compounds", {"headers": alice, "json": {"query": "C1CC"}}),
        ("POST", "batches", {"headers": alice, "content": b"smiles\nCCO\n"}),
        ("GET", "exports/csv?ids=abc", {"headers": alice}),
        ("GET", "exports/csv", {"headers": alice}),
        ("GET", "exports/tar?ids=1", {"headers": alice}),
        ("GET", "jobs/999/events", {"headers": alice}),
        ("GET", "analytics/trends?periods=0", {"headers": alice}),
    ]
    seen = set()
    for method, path, options in requests:
        response = client.request(method, f"{BASE}/{path}", **options)
        assert response.status_code >= 400, (method, path, response.text)
        assert response.headers["content-type"].startswith("application/json"), (method, path)
        body = response.json()
        assert set(body) == {"error"}, (method, path, body)
        sentence = body["error"]
        assert sentence[:1].isupper() or sentence[:1] == "'", sentence
        assert sentence.rstrip().endswith((".", ")")), sentence
        assert len(sentence.split()) >= 5, sentence
        seen.add(response.status_code)
    assert seen >= {400, 401, 403, 404, 405, 413, 422, 429}
