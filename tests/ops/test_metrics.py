"""The database and science metrics, on a real SQLite store (the platform tests scrape them
from the running API and runner on PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from prometheus_client import REGISTRY, generate_latest

from impulator import store
from impulator.jobs._metrics import record_stored
from impulator.store import _session


def value(name: str, **labels: str) -> float:
    found = REGISTRY.get_sample_value(name, labels)
    return 0.0 if found is None else found


def test_statements_are_timed_by_kind_and_checked_out_connections_counted(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'metrics.sqlite'}"
    engine = store.engine_for(url)
    before = {k: value("db_query_duration_seconds_count", statement=k) for k in ("select", "other")}
    idle = value("db_connections_active")
    with engine.connect() as conn:
        assert value("db_connections_active") == idle + 1
        assert value("db_connections_max") >= value("db_connections_active")
        conn.execute(sa.text("SELECT count(*) FROM compounds WHERE name = :n"), {"n": "secret-x"})
        conn.exec_driver_sql("PRAGMA user_version")
    assert value("db_connections_active") == idle
    assert value("db_query_duration_seconds_count", statement="select") == before["select"] + 1
    assert value("db_query_duration_seconds_count", statement="other") >= before["other"] + 1
    assert "secret-x" not in generate_latest().decode()
    _session.dispose(url)


def test_strong_imps_and_classes_are_counted_when_stored() -> None:
    strong, moderate = (
        value("strong_imps_found_total"),
        value("compounds_classified_total", best_class="Moderate IMP"),
    )
    scored = value("compound_best_score_count")
    record_stored("Exceptional IMP", 0.93)
    record_stored("Strong IMP", 0.71, count=2)
    record_stored("Moderate IMP", 0.55)
    record_stored(None, None)
    record_stored("<script>", float("nan"))  # never a label made of data
    assert value("strong_imps_found_total") == strong + 3
    assert value("compounds_classified_total", best_class="Moderate IMP") == moderate + 1
    assert value("compounds_classified_total", best_class="none") >= 2
    assert value("compound_best_score_count") == scored + 4
    assert "<script>" not in generate_latest().decode()
