"""``Client(url, token)``: the REST API from scripts (needs only httpx).

Example::

    from impulator.api import Client
    api = Client("https://hub.example.org/services/impulator-api", token)
    job = api.submit("CC(=O)Oc1ccccc1C(=O)O", name="aspirin")
    final = api.wait(job["id"])              # follows the event stream
    page = api.compounds(sort="-best_score", min_score=0.7)
    open("mine.sdf", "wb").write(api.export("sdf", [c["id"] for c in page["items"]]))
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

__all__ = ["ApiRequestError", "Client"]


class ApiRequestError(RuntimeError):
    """The API answered with an error: ``status`` and its sentence."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.retry_after = retry_after


class Client:
    """The impulator REST API at ``url`` (the service's address, e.g.
    ``https://hub/services/impulator-api``) with a JupyterHub API ``token``."""

    def __init__(self, url: str, token: str, *, timeout: float = 60.0) -> None:
        self.http = httpx.Client(
            base_url=url.rstrip("/") + "/v1/",
            headers={"Authorization": f"token {token}"},
            timeout=timeout,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self.http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 400:
            try:
                message = str(response.json()["error"])
            except Exception:
                message = response.text[:300] or response.reason_phrase
            retry = response.headers.get("retry-after")
            raise ApiRequestError(
                response.status_code, message, int(retry) if retry and retry.isdigit() else None
            )
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, **kwargs).json()

    # compounds
    def submit(self, query: str, name: str | None = None, **options: Any) -> dict[str, Any]:
        """Analyze one SMILES, name or ChEMBL id; returns its job (status ``queued``)."""
        body = {"query": query, "name": name, **options}
        result: dict[str, Any] = self._json("POST", "compounds", json=body)
        return result

    def upload(self, path: str | Path, **options: Any) -> dict[str, Any]:
        """Submit a CSV or SDF file as one batch; returns its job."""
        path = Path(path)
        kind = "sdf" if path.suffix.lower() in (".sdf", ".sd") else "csv"
        params = {"format": kind, **options}
        with path.open("rb") as data:
            result: dict[str, Any] = self._json(
                "POST", "batches", params=params, content=data.read()
            )
        return result

    def compounds(self, page: int = 1, limit: int = 50, **filters: Any) -> dict[str, Any]:
        """A page of the compounds you can see (``sort=``, ``mine=``, the store's filters)."""
        params = {k: v for k, v in {"page": page, "limit": limit, **filters}.items()}
        if isinstance(params.get("classes"), list | tuple):
            params["classes"] = ",".join(params["classes"])
        result: dict[str, Any] = self._json("GET", "compounds", params=params)
        return result

    def compound(self, compound_id: int) -> dict[str, Any]:
        """One compound with its rows."""
        result: dict[str, Any] = self._json("GET", f"compounds/{compound_id}")
        return result

    def delete(self, compound_id: int) -> None:
        """Delete your compound."""
        self._call("DELETE", f"compounds/{compound_id}")

    def share(self, compound_id: int, group: str) -> list[str]:
        """Share your compound with a group of yours; returns the groups it is shared with."""
        body = self._json("POST", f"compounds/{compound_id}/share", json={"group": group})
        return list(body["shared_with"])

    def unshare(self, compound_id: int, group: str) -> list[str]:
        """Stop sharing with ``group``; returns the groups it is still shared with."""
        body = self._json("POST", f"compounds/{compound_id}/unshare", json={"group": group})
        return list(body["shared_with"])

    # jobs
    def jobs(self, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Your jobs, newest first."""
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        return list(self._json("GET", "jobs", params=params)["items"])

    def job(self, job_id: int) -> dict[str, Any]:
        """A job's status."""
        result: dict[str, Any] = self._json("GET", f"jobs/{job_id}")
        return result

    def cancel(self, job_id: int) -> bool:
        """Stop a job; whether this call stopped it."""
        return bool(self._json("POST", f"jobs/{job_id}/cancel")["cancelled"])

    def retry(self, job_id: int) -> int:
        """Queue a job's failed compounds again; how many."""
        return int(self._json("POST", f"jobs/{job_id}/retry")["queued_again"])

    def errors(self, job_id: int) -> list[dict[str, Any]]:
        """Rows of a job that were not stored, and why."""
        return list(self._json("GET", f"jobs/{job_id}/errors")["items"])

    def events(self, job_id: int, timeout: float | None = None) -> Iterator[tuple[str, Any]]:
        """The job's progress events as (event, status) until its final state."""
        with self.http.stream("GET", f"jobs/{job_id}/events", timeout=timeout) as response:
            if response.status_code >= 400:
                response.read()
                raise ApiRequestError(response.status_code, str(response.json()["error"]))
            event, data = "message", ""
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    data += line[5:].strip()
                elif not line and data:
                    yield event, json.loads(data)
                    event, data = "message", ""

    def wait(self, job_id: int, timeout: float | None = None) -> dict[str, Any]:
        """Follow a job until it ends; returns its final status."""
        last: dict[str, Any] = {}
        for _event, status in self.events(job_id, timeout=timeout):
            last = status
        return last

    # analytics and exports
    def analytics(self) -> dict[str, Any]:
        """Dashboard numbers over the compounds you can see."""
        result: dict[str, Any] = self._json("GET", "analytics/summary")
        return result

    def distribution(self, target: str | None = None, bins: int = 20) -> dict[str, Any]:
        """Score, class, pActivity and efficiency-index distributions of the rows you can see
        (``target``: one ChEMBL target's rows only)."""
        params: dict[str, Any] = {"bins": bins}
        if target:
            params["target"] = target
        result: dict[str, Any] = self._json("GET", "analytics/distribution", params=params)
        return result

    def trends(self, every: str = "day", periods: int = 30) -> list[dict[str, Any]]:
        """Compounds stored per ``day`` or ``week`` over the last ``periods``, oldest first."""
        params = {"every": every, "periods": periods}
        return list(self._json("GET", "analytics/trends", params=params))

    def export(self, format: str, ids: Sequence[int]) -> bytes:
        """``csv``, ``prototype``, ``sdf``, ``xlsx`` or ``pdf`` (one id) of ``ids``."""
        params = {"ids": ",".join(str(i) for i in ids)}
        return self._call("GET", f"exports/{format}", params=params).content
