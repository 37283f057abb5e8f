"""Prometheus metrics of a job runner (served by ``impulator runner --metrics-port``).

No user data in labels: statuses, outcomes and score classes only, never job ids, owners or
compounds. The database metrics (``db_*``) come with the store and are served here too.
"""

from __future__ import annotations

import math

from prometheus_client import Counter, Gauge, Histogram, start_http_server

from impulator.science import CLASS_COLOURS, STRONG_CLASSES

__all__ = [
    "BEST_SCORE",
    "COMPOUNDS_BY_CLASS",
    "COMPOUNDS_PROCESSED",
    "JOBS_COMPLETED",
    "JOB_DURATION",
    "QUEUE_DEPTH",
    "STRONG_IMPS_FOUND",
    "record_stored",
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
STRONG_IMPS_FOUND = Counter(
    "strong_imps_found_total",
    "Compounds stored whose best class is " + " or ".join(reversed(STRONG_CLASSES)),
)
COMPOUNDS_BY_CLASS = Counter(
    "compounds_classified_total",
    "Compounds stored, by the class of their best-scoring row ('none': no scored row)",
    ["best_class"],
)
BEST_SCORE = Histogram(
    "compound_best_score",
    "Best IMP score of each compound stored (compounds without a score are not observed)",
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
)


def record_stored(best_class: str | None, best_score: float | None, count: int = 1) -> None:
    """Count ``count`` stored compounds of this best class and score.

    Example:
        >>> from prometheus_client import REGISTRY
        >>> before = REGISTRY.get_sample_value("strong_imps_found_total")
        >>> record_stored("Strong IMP", 0.75)
        >>> REGISTRY.get_sample_value("strong_imps_found_total") - before
        1.0
    """
    if count < 1:
        return
    label = best_class if best_class in CLASS_COLOURS else "none"
    COMPOUNDS_BY_CLASS.labels(label).inc(count)
    if best_class in STRONG_CLASSES:
        STRONG_IMPS_FOUND.inc(count)
    if best_score is not None and math.isfinite(best_score):
        for _ in range(count):
            BEST_SCORE.observe(best_score)


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Serve ``/metrics`` on ``host:port`` in a background thread."""
    start_http_server(port, addr=host)
