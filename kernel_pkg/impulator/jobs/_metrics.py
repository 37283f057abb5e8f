"""Prometheus metrics of a job runner (served by ``impulator runner --metrics-port``).

No user data in labels: statuses and outcomes only, never job ids, owners or compounds.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

__all__ = [
    "COMPOUNDS_PROCESSED",
    "JOBS_COMPLETED",
    "JOB_DURATION",
    "QUEUE_DEPTH",
    "serve_metrics",
]

JOBS_COMPLETED = Counter("jobs_completed_total", "Jobs a runner brought to an end", ["status"])
JOB_DURATION = Histogram(
    "job_duration_seconds",
    "From claiming a job to its end",
    buckets=(1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200),
)
QUEUE_DEPTH = Gauge("queue_depth", "Jobs waiting for a runner (as last seen by this runner)")
COMPOUNDS_PROCESSED = Counter("compounds_processed_total", "Compounds a runner scored", ["outcome"])


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Serve ``/metrics`` on ``host:port`` in a background thread."""
    start_http_server(port, addr=host)
