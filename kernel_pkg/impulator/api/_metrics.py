"""Prometheus metrics of the API (``/metrics``): requests by route template, latency, jobs
submitted. Labels never hold user data: routes are templates (``/v1/compounds/{compound_id}``),
never the ids or names in a request."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

__all__ = ["API_LATENCY", "API_REQUESTS", "JOBS_SUBMITTED", "install_metrics"]

API_REQUESTS = Counter("api_requests_total", "REST API requests", ["method", "route", "status"])
API_LATENCY = Histogram(
    "api_latency_seconds",
    "REST API response time (event streams: until the stream starts)",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOBS_SUBMITTED = Counter("jobs_submitted_total", "Jobs submitted through the REST API", ["kind"])


def _route(request: Request, base: str) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    if base and path.startswith(base + "/"):
        return path.removeprefix(base)
    # Routes of the included routers carry their path below the version prefix.
    return path if path.startswith("/v1/") else f"/v1{path}"


def install_metrics(app: FastAPI, base: str) -> None:
    """Count and time every request; serve ``{base}/metrics`` (no token: no user data)."""

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            route = _route(request, base)
            API_REQUESTS.labels(request.method, route, str(status)).inc()
            API_LATENCY.labels(request.method, route).observe(time.perf_counter() - started)

    @app.get(f"{base}/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
