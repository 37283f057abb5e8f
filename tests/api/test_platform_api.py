"""The REST API on the real local platform: one ``hub/launch.py up`` for the module, hub-issued
tokens, the API service behind the hub's proxy, PostgreSQL with row-level security and the
job runner; a browser's login through the hub's OAuth; schemathesis against the live server.

Users: ``chemist`` plays Alice; ``instructor`` plays Bob (another writer, sharing a group with
Alice but shown nothing she did not share); ``viewer`` reads only; ``admin`` is the
schemathesis caller (its own rate-limit buckets). Reads are not rate-limited here (a large
per-minute limit) so schemathesis's requests are all answered; submissions keep the default.
Timings are printed (``pytest -s``).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from impulator.api import ApiRequestError, Client
from tests.conftest import DASATINIB
from tests.hub.platform import (
    ADMIN_PASSWORD,
    USER_PASSWORD,
    admin_database_url,
    down,
    free_port,
    hub_xsrf,
    launcher_environment,
    login,
    requires_platform,
    token_for,
    up,
)

pytestmark = requires_platform
SERVICE = "/services/impulator-api"
V1 = f"{SERVICE}/v1"
ALICE_COMPOUND = f"alice-api-{uuid.uuid4().hex[:8]}"
TIMINGS: dict[str, float] = {}


@dataclass
class Platform:
    env: dict[str, str]
    home: Path
    base: str
    tokens: dict[str, str] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def token(self, user: str, scopes: list[str] | None = None) -> str:
        """A token issued by the hub through ``user``'s login (``scopes``: a limited one)."""
        key = f"{user}:{scopes}"
        if key not in self.tokens:
            with httpx.Client(base_url=self.base, timeout=60) as client:
                login(client, user, ADMIN_PASSWORD if user == "admin" else USER_PASSWORD)
                if scopes is None:
                    self.tokens[key] = token_for(client, user)
                else:
                    response = client.post(
                        f"/hub/api/users/{user}/tokens",
                        json={"note": "limited", "expires_in": 3600, "scopes": scopes},
                        headers={"X-XSRFToken": hub_xsrf(client)},
                    )
                    assert response.status_code in (200, 201), response.text[:500]
                    self.tokens[key] = str(response.json()["token"])
        return self.tokens[key]

    def http(self, user: str | None, scopes: list[str] | None = None) -> httpx.Client:
        headers = {"Authorization": f"token {self.token(user, scopes)}"} if user else {}
        return httpx.Client(base_url=self.base + V1 + "/", headers=headers, timeout=120)

    def client(self, user: str) -> Client:
        return Client(self.base + SERVICE, self.token(user))

    def database(self) -> sa.Engine:
        return sa.create_engine(admin_database_url(self.home))


@pytest.fixture(scope="module")
def platform(demo_dir: Path) -> Iterator[Platform]:
    metrics_port = str(free_port())
    with launcher_environment(
        demo_dir,
        IMPULATOR_RUNNER_METRICS_PORT=metrics_port,
        IMPULATOR_API_READS_PER_MINUTE="100000",
    ) as env:
        launcher, started = up(env)
        TIMINGS["hub_start_s"] = started
        base = f"http://127.0.0.1:{env['IMPULATOR_HUB_PORT']}"
        began = time.monotonic()
        while time.monotonic() - began < 120:
            try:
                if httpx.get(f"{base}{V1}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            pytest.fail("the API service did not answer behind the hub within 120 s")
        TIMINGS["api_ready_after_hub_s"] = time.monotonic() - began
        try:
            yield Platform(env, Path(env["IMPULATOR_HUB_HOME"]), base)
        finally:
            down(env, launcher)
            print(
                "\napi platform timings: " + ", ".join(f"{k} {v:.1f}" for k, v in TIMINGS.items())
            )


def test_without_a_token_401_and_the_docs_are_served_locally(platform: Platform) -> None:
    with platform.http(None) as http:
        response = http.get("compounds")
        assert response.status_code == 401
        assert "Authorization: token" in response.json()["error"]
        schema = http.get("openapi.json").json()
        assert f"{V1}/jobs/{{job_id}}/events" in schema["paths"]
        docs = http.get("docs")
        assert docs.status_code == 200 and "cdn" not in docs.text.lower()
        assert http.get("docs/static/swagger-ui-bundle.js").status_code == 200
        assert http.get("compounds", headers={"Authorization": "token nope"}).status_code == 401


def test_alices_compound_completes_through_the_runner_and_its_stream_ends_completed(
    platform: Platform,
) -> None:
    started = time.monotonic()
    with platform.client("chemist") as api:
        job = api.submit(DASATINIB, name=ALICE_COMPOUND, pdb=False)
        assert job["status"] == "queued"
        events = list(api.events(job["id"], timeout=300))
        TIMINGS["submit_to_completed_s"] = time.monotonic() - started
        assert events[-1][0] == "completed", events[-3:]
        assert events[-1][1]["stored"] == 1
        page = api.compounds(mine=True, text=ALICE_COMPOUND)
        names = {c["name"]: c for c in page["items"]}
        assert ALICE_COMPOUND in names, page
        compound = api.compound(names[ALICE_COMPOUND]["id"])
        assert compound["owner"] == "chemist" and len(compound["rows"]) > 0
        assert b"$$$$" in api.export("sdf", [compound["id"]])
    platform.state.update(job_id=job["id"], compound_id=compound["id"])
    # Written as Alice (SET ROLE through the API's own login), not as the service.
    engine = platform.database()
    with engine.connect() as conn:
        owner = conn.execute(
            sa.text("SELECT owner FROM jobs WHERE id = :id"), {"id": job["id"]}
        ).scalar()
        logins = conn.execute(
            sa.text("SELECT DISTINCT usename FROM pg_stat_activity WHERE usename IS NOT NULL")
        ).scalars()
        seen = set(logins)
    engine.dispose()
    assert owner == "chemist"
    assert "api" in seen and "chemist" not in seen  # the API's pool logs in as itself


def test_bob_gets_404_on_alices_rows_and_sees_none_of_them(platform: Platform) -> None:
    job_id, compound_id = platform.state.get("job_id"), platform.state.get("compound_id")
    assert job_id and compound_id, "run with the submission test first (same module)"
    with platform.http("instructor") as bob:
        for method, path in (
            ("GET", f"compounds/{compound_id}"),
            ("DELETE", f"compounds/{compound_id}"),
            ("GET", f"jobs/{job_id}"),
            ("GET", f"jobs/{job_id}/events"),
            ("GET", f"jobs/{job_id}/errors"),
            ("POST", f"jobs/{job_id}/cancel"),
            ("GET", f"exports/csv?ids={compound_id}"),
            ("GET", f"exports/sdf?ids={compound_id}"),
            ("GET", f"exports/xlsx?ids={compound_id}"),
        ):
            response = bob.request(method, path)
            assert response.status_code == 404, (method, path, response.text)
            assert "error" in response.json()
        share = bob.post(f"compounds/{compound_id}/share", json={"group": "demo-team"})
        assert share.status_code == 404
        listed = bob.get("compounds", params={"limit": 500}).json()
        assert all(c["owner"] != "chemist" for c in listed["items"])
        assert ALICE_COMPOUND not in json.dumps(listed)
        jobs = bob.get("jobs").json()["items"]
        assert all(j["owner"] != "chemist" for j in jobs)
        summary = bob.get("analytics/summary").json()
        assert summary["total_compounds"] == listed["total"]
    # Alice herself still has it (Bob's DELETE changed nothing).
    with platform.http("chemist") as alice:
        assert alice.get(f"compounds/{compound_id}").status_code == 200


def _visible_rows(http: httpx.Client) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every compound the caller can list, and all their rows (read one by one)."""
    listed = http.get("compounds", params={"limit": 500}).json()["items"]
    compounds = [http.get(f"compounds/{c['id']}").json() for c in listed]
    return compounds, [dict(r, compound=c["id"]) for c in compounds for r in c["rows"]]


def test_distribution_and_trends_count_what_each_user_sees(platform: Platform) -> None:
    compound_id = platform.state.get("compound_id")
    assert compound_id, "run with the submission test first (same module)"
    for user in ("chemist", "instructor"):
        with platform.http(user) as http:
            compounds, rows = _visible_rows(http)
            target = "CHEMBL1862"
            got = http.get("analytics/distribution", params={"target": target}).json()
            chosen = [r for r in rows if r.get("target_chembl_id") == target]
            assert got["rows"] == len(chosen), user
            assert got["compounds"] == len({r["compound"] for r in chosen}), user
            scores = [0] * 10
            for r in chosen:
                if r.get("final_score") is not None:
                    scores[min(int(r["final_score"] * 10), 9)] += 1
            assert [b["count"] for b in got["scores"]] == scores, user
            everything = http.get("analytics/distribution").json()
            assert everything["rows"] == len(rows), user
            pactivity = [r["pactivity"] for r in rows if r.get("pactivity") is not None]
            histogram = everything["histograms"]["pactivity"]
            assert histogram["count"] == len(pactivity)
            assert sum(b["count"] for b in histogram["bins"]) == len(pactivity)
            days = http.get("analytics/trends", params={"periods": 7}).json()
            weeks = http.get("analytics/trends", params={"every": "week", "periods": 2}).json()
            assert days[-1]["total"] == weeks[-1]["total"] == len(compounds), user
            print(
                f"{user}: {len(compounds)} compounds, {len(rows)} rows, {len(chosen)} on {target}"
            )
            if user == "chemist":
                assert compound_id in {r["compound"] for r in chosen}
                assert days[-1]["stored"] >= 1
            else:
                assert compound_id not in {c["id"] for c in compounds}
    with platform.client("chemist") as api:
        assert api.distribution(target="CHEMBL1862")["rows"] >= 1
        assert len(api.trends(every="week", periods=4)) == 4


def test_a_read_only_token_and_the_viewer_read_but_cannot_submit(platform: Platform) -> None:
    for user, scopes in (("chemist", ["custom:impulator:read"]), ("viewer", None)):
        with platform.http(user, scopes) as http:
            assert http.get("compounds").status_code == 200, user
            refused = http.post("compounds", json={"query": "CCO"})
            assert refused.status_code == 403, (user, refused.text)
            assert "custom:impulator:write" in refused.json()["error"]
            upload = http.post("batches", content=b"smiles\nCCO\n")
            assert upload.status_code == 403


def test_a_60_mb_upload_is_413_with_the_limit_in_words(platform: Platform) -> None:
    body = b"smiles\n" + b"C" * (60 * 1000 * 1000)
    started = time.monotonic()
    with platform.http("chemist") as http:
        response = http.post("batches", content=body, headers={"Content-Type": "text/csv"})
    TIMINGS["upload_60mb_s"] = time.monotonic() - started
    assert response.status_code == 413, response.text[:300]
    assert "50 MB" in response.json()["error"]


def test_the_eleventh_submission_in_a_minute_is_429_and_works_after_retry_after(
    platform: Platform,
) -> None:
    """Every submission counts, accepted or not: Bob's first ten are invalid structures (400,
    so the runner stays idle); the eleventh, a valid one, is refused until the next minute."""
    with platform.http("instructor") as bob:
        window = int(time.time()) // 60
        if int(time.time()) % 60 > 45:  # not across a minute's edge
            time.sleep(61 - int(time.time()) % 60)
            window = int(time.time()) // 60
        for _ in range(10):
            assert bob.post("compounds", json={"query": "C1CC"}).status_code == 400
        refused = bob.post("compounds", json={"query": "CCO"})
        assert int(time.time()) // 60 == window
        assert refused.status_code == 429, refused.text
        wait = int(refused.headers["Retry-After"])
        assert 1 <= wait <= 60 and "10 a minute" in refused.json()["error"]
        time.sleep(wait + 0.5)
        again = bob.post("compounds", json={"query": "CCO"})
        assert again.status_code == 202, again.text
        assert bob.post(f"jobs/{again.json()['id']}/cancel").status_code == 200
        TIMINGS["rate_limit_wait_s"] = wait


def _samples(text: str) -> dict[str, float]:
    # Label values may hold spaces ("Strong IMP"): the value is after the last one.
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def test_metrics_moved_after_a_job(platform: Platform) -> None:
    text = httpx.get(f"{platform.base}{SERVICE}/metrics", timeout=30).text
    samples = _samples(text)
    assert samples['jobs_submitted_total{kind="compound"}'] >= 1
    assert samples['api_requests_total{method="POST",route="/v1/compounds",status="202"}'] >= 1
    assert (
        samples['api_requests_total{method="GET",route="/v1/compounds/{compound_id}",status="404"}']
        >= 1
    )
    assert any(k.startswith("api_latency_seconds_bucket") for k in samples)
    # The API's own database login: its pools and statements.
    assert samples['db_query_duration_seconds_count{statement="select"}'] >= 1
    assert samples["db_connections_max"] >= 1 and "db_connections_active" in samples
    assert "chemist" not in text and ALICE_COMPOUND not in text


def test_the_client_raises_the_apis_sentence(platform: Platform) -> None:
    with platform.client("viewer") as api, pytest.raises(ApiRequestError) as info:
        api.submit("CCO")
    assert info.value.status == 403 and "write" in info.value.message


def test_the_runner_counts_jobs_and_compounds(platform: Platform) -> None:
    port = platform.env["IMPULATOR_RUNNER_METRICS_PORT"]
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    samples = _samples(text)
    assert samples['jobs_completed_total{status="completed"}'] >= 1
    assert samples['compounds_processed_total{outcome="stored"}'] >= 1
    assert samples["job_duration_seconds_count"] >= 1
    assert "queue_depth" in samples
    # The demo ChEMBL holds no strong IMP: the counter is there, and the class counts moved.
    assert "strong_imps_found_total" in samples
    assert sum(v for k, v in samples.items() if k.startswith("compounds_classified_total")) >= 1
    assert samples['db_query_duration_seconds_count{statement="insert"}'] >= 1
    assert samples["db_connections_max"] >= 1
    assert "chemist" not in text and ALICE_COMPOUND not in text


# -- a browser of a logged-in user: the hub's OAuth ------------------------------------------

BROWSER_HEADERS = {"Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8"}
COOKIE = "service-impulator-api"


def test_a_logged_in_browser_is_sent_through_the_hubs_oauth_and_served(
    platform: Platform,
) -> None:
    started = time.monotonic()
    with httpx.Client(base_url=platform.base, timeout=60, headers=BROWSER_HEADERS) as browser:
        # Not logged in: the hub's login page.
        page = browser.get(f"{V1}/compounds", follow_redirects=True)
        assert page.url.path == "/hub/login", page.url
        login(browser, "chemist")
        page = browser.get(f"{V1}/compounds", params={"limit": 5}, follow_redirects=True)
        TIMINGS["browser_oauth_s"] = time.monotonic() - started
        assert page.status_code == 200, page.text[:500]
        assert page.url.path == f"{V1}/compounds"
        hops = [r.url.path for r in page.history]
        assert "/hub/api/oauth2/authorize" in hops and f"{SERVICE}/oauth_callback" in hops, hops
        listed = page.json()
        with platform.http("chemist") as script:  # the same as the user's own token sees
            assert listed["total"] == script.get("compounds").json()["total"]
        cookies = {c.name: c for c in browser.cookies.jar}
        assert COOKIE in cookies and cookies[COOKIE].path == f"{SERVICE}/"
        assert cookies[COOKIE].has_nonstandard_attr("HttpOnly")
        xsrf = str(cookies[f"{COOKIE}-xsrf"].value)
        # Served at once now, without the hub: the cookie is the login.
        again = browser.get(f"{V1}/analytics/summary")
        assert again.status_code == 200 and again.json()["total_compounds"] == listed["total"]

        # A change from another origin without the XSRF value is refused...
        for headers in ({"Origin": "http://elsewhere.example"}, {"X-XSRFToken": "guess"}):
            refused = browser.post(f"{V1}/compounds", json={"query": "CCO"}, headers=headers)
            assert refused.status_code == 403, refused.text
            assert "X-XSRFToken" in refused.json()["error"]
        # ... and with it the request goes through as the user (here: no such compound).
        missing = browser.delete(f"{V1}/compounds/2147483647", headers={"X-XSRFToken": xsrf})
        assert missing.status_code == 404, missing.text
    # A script without a token still gets the JSON 401, not the login.
    assert httpx.get(f"{platform.base}{V1}/compounds", timeout=30).status_code == 401


def test_an_oauth_callback_without_its_state_cookie_is_refused(platform: Platform) -> None:
    response = httpx.get(
        f"{platform.base}{SERVICE}/oauth_callback", params={"code": "x", "state": "y"}, timeout=30
    )
    assert response.status_code == 403 and "open the page again" in response.json()["error"]


# -- schemathesis against the live server ----------------------------------------------------


def error_is_a_sentence(_ctx: Any, response: Any, case: Any) -> None:
    """A schemathesis check: every error body is exactly {"error": "<a sentence>"}."""
    if response.status_code < 400:
        return
    body = json.loads(response.content)
    assert set(body) == {"error"}, (case.operation.label, body)
    words = str(body["error"]).split()
    assert len(words) >= 5 and body["error"].rstrip().endswith((".", ")")), body


def test_live_no_server_errors_and_responses_match_the_schema(platform: Platform) -> None:
    """Every operation of the served OpenAPI document against the live server behind the
    hub's proxy, with the admin's hub-issued token: bounded valid examples, then bounded
    invalid ones (those must be refused with a 4xx sentence, never a 5xx)."""
    schemathesis = pytest.importorskip("schemathesis")
    from schemathesis import GenerationMode

    started = time.monotonic()
    schema = schemathesis.openapi.from_url(f"{platform.base}{V1}/openapi.json", timeout=60)
    headers = {"Authorization": f"token {platform.token('admin')}"}
    checks = [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.response_schema_conformance,
        error_is_a_sentence,
    ]
    checked: list[str] = []
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in ((GenerationMode.POSITIVE, 10), (GenerationMode.NEGATIVE, 4)):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                response = case.call_and_validate(headers=headers, checks=checks, timeout=60)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            try:
                check()
            except Unsatisfiable:  # no parameters and no body: nothing invalid to send
                assert mode == GenerationMode.NEGATIVE
        checked.append(operation.label)
    TIMINGS["schemathesis_s"] = time.monotonic() - started
    print(
        f"schemathesis: {len(checked)} operations, responses by status {sorted(statuses.items())}"
    )
    assert "GET /services/impulator-api/v1/analytics/distribution" in checked
    assert len(checked) >= 15 and not any(status >= 500 for status in statuses)
    assert statuses.get(200, 0) > 0 and statuses.get(422, 0) > 0
