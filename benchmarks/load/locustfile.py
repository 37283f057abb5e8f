"""The load scenario: simulated chemists on the local platform (``run.py`` starts it).

Each simulated user takes the next account of ``IMPULATOR_LOAD_PREFIX`` + number (made by
``run.py``), logs in through the hub's form, asks the hub for an API token and for its
server, then, with a few seconds of thought between steps: lists compounds and opens one
through the REST API, submits a small batch (5-20 rows of demo ChEMBL compounds) when it
has none running and polls it, and opens its server's page (the dashboard stand-in).

Request names (the rows of the report) say which part answered: ``hub:``, ``api:`` or
``server:``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from scenario import account, batch_csv  # beside this file (locust puts its folder on the path)

PREFIX = os.environ.get("IMPULATOR_LOAD_PREFIX", "load-")
PASSWORD = os.environ.get("IMPULATOR_LOAD_PASSWORD", "")
SMILES = [
    s for s in Path(os.environ.get("IMPULATOR_LOAD_SMILES", "/dev/null")).read_text().split() if s
]
V1 = "/services/impulator-api/v1"
#: Seconds a simulated user waits for its server before giving up (a failure in the report).
SPAWN_WAIT = float(os.environ.get("IMPULATOR_LOAD_SPAWN_WAIT", "300"))
_numbers = itertools.count(1)


@events.request.add_listener  # type: ignore[misc]
def _name_the_error(response: Any = None, exception: Any = None, **kwargs: Any) -> None:
    """A refused request's message in the report (its status alone says too little)."""
    if exception is not None and response is not None and getattr(response, "text", ""):
        exception.args = (f"{response.status_code}: {response.text[:160]}",)


class Chemist(HttpUser):  # type: ignore[misc]
    """One simulated chemist."""

    wait_time = between(2, 6)

    def on_start(self) -> None:
        self.name = account(next(_numbers), PREFIX)
        self.rng = random.Random(self.name)
        self.compounds: list[int] = []
        self.job: int | None = None
        self.last_submit = 0.0
        self.ready = self.log_in() and self.start_server()

    # -------------------------------------------------------------- hub

    def xsrf(self) -> str:
        for cookie in self.client.cookies:
            if cookie.name == "_xsrf" and (cookie.path or "/").startswith("/hub"):
                return str(cookie.value)
        return ""

    def log_in(self) -> bool:
        self.client.get("/hub/login", name="hub: login form")
        form = {"username": self.name, "password": PASSWORD, "_xsrf": self.xsrf()}
        with self.client.post(
            "/hub/login", data=form, name="hub: log in", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")
                return False
        with self.client.post(
            f"/hub/api/users/{self.name}/tokens",
            json={"note": "load scenario", "expires_in": 7200},
            headers={"X-XSRFToken": self.xsrf()},
            name="hub: new token",
            catch_response=True,
        ) as response:
            if response.status_code not in (200, 201):
                response.failure(f"token answered {response.status_code}")
                return False
            self.token = str(response.json()["token"])
        self.headers = {"Authorization": f"token {self.token}"}
        return True

    def start_server(self) -> bool:
        """Ask for the server (retrying after the hub's 429) and wait until it is ready."""
        deadline = time.monotonic() + SPAWN_WAIT
        while time.monotonic() < deadline:
            with self.client.post(
                f"/hub/api/users/{self.name}/server",
                headers=self.headers,
                name="hub: start server",
                catch_response=True,
            ) as response:
                if response.status_code == 429:  # concurrent_spawn_limit: told to come back
                    response.failure("429 too many users starting")
                    time.sleep(float(response.headers.get("Retry-After", "5")))
                    continue
                if response.status_code not in (201, 202, 400):  # 400: already running
                    response.failure(f"start answered {response.status_code}")
                    return False
            break
        while time.monotonic() < deadline:
            response = self.client.get(
                f"/hub/api/users/{self.name}", headers=self.headers, name="hub: server status"
            )
            server = response.json().get("servers", {}).get("", {}) if response.ok else {}
            if server.get("ready"):
                self.client.get(f"/user/{self.name}/", name="server: first page")
                return True
            time.sleep(1)
        events.request.fire(
            request_type="SPAWN",
            name="hub: server ready",
            response_time=SPAWN_WAIT * 1000,
            response_length=0,
            exception=TimeoutError(f"{self.name}'s server not ready in {SPAWN_WAIT:.0f} s"),
            context={},
        )
        return False

    # -------------------------------------------------------------- tasks

    @task(6)
    def list_compounds(self) -> None:
        if not self.ready:
            return
        params: dict[str, Any] = {"limit": 20, "page": self.rng.randint(1, 3)}
        response = self.client.get(
            f"{V1}/compounds", params=params, headers=self.headers, name="api: list compounds"
        )
        if response.ok:
            self.compounds = [int(c["id"]) for c in response.json()["items"]] or self.compounds

    @task(4)
    def open_compound(self) -> None:
        if not self.ready or not self.compounds:
            return
        compound = self.rng.choice(self.compounds)
        self.client.get(
            f"{V1}/compounds/{compound}", headers=self.headers, name="api: open compound"
        )

    @task(2)
    def submit_batch(self) -> None:
        """A batch when the last one has finished, at most one a minute."""
        if not self.ready or self.job is not None or time.monotonic() - self.last_submit < 60:
            return
        body, _rows = batch_csv(self.rng, SMILES, self.name)
        response = self.client.post(
            f"{V1}/batches",
            params={"format": "csv", "column": "smiles", "name_column": "name", "pdb": "false"},
            data=body.encode(),
            headers={**self.headers, "Content-Type": "text/csv"},
            name="api: submit batch",
        )
        self.last_submit = time.monotonic()
        if response.status_code == 202:
            self.job = int(response.json()["id"])

    @task(3)
    def poll_job(self) -> None:
        if not self.ready or self.job is None:
            return
        response = self.client.get(
            f"{V1}/jobs/{self.job}", headers=self.headers, name="api: poll job"
        )
        if response.ok and response.json().get("status") in ("completed", "failed", "cancelled"):
            self.job = None

    @task(2)
    def open_dashboard(self) -> None:
        if self.ready:
            self.client.get(f"/user/{self.name}/dashboards", name="server: dashboard page")


@events.quitting.add_listener  # type: ignore[misc]
def _say_accounts(environment: Any, **kwargs: Any) -> None:
    """How many accounts were used (read by run.py from the log)."""
    print(json.dumps({"accounts_used": next(_numbers) - 1}), flush=True)
