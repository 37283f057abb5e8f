"""The chart's monitoring files: the alert rules pass ``promtool check rules`` and their unit
tests (``alerts_test.yaml``), and every metric the rules and dashboards query is one impulator
or JupyterHub exports (a renamed metric would leave an empty panel or a silent alert)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import types
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

HERE = Path(__file__).resolve().parent
MONITORING = HERE.parents[1] / "helm" / "impulator" / "monitoring"
RULES = MONITORING / "alerts.yaml"
DASHBOARDS = sorted((MONITORING / "dashboards").glob("*.json"))
PROMTOOL = shutil.which("promtool")

needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is missing: apt-get install -y prometheus (make pytest does, as root)",
)

#: Series names each metric type exposes, from its family name.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
}
#: PromQL words that are not metric names.
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan", "Inf", "NaN"}


def exported(*modules: types.ModuleType) -> set[str]:
    names = set()
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, MetricWrapperBase):
                for family in value.collect():
                    names.update(family.name + s for s in SUFFIXES[family.type])
    return names


@pytest.fixture(scope="module")
def known() -> set[str]:
    import jupyterhub.metrics

    from impulator.api import _metrics as api_metrics
    from impulator.jobs import _metrics as jobs_metrics
    from impulator.store import _metrics as store_metrics

    ours = exported(api_metrics, jobs_metrics, store_metrics)
    assert {"db_connections_active", "strong_imps_found_total", "api_latency_seconds_bucket"} <= (
        ours
    )
    # "up": Prometheus' own series for every scrape target.
    return ours | exported(jupyterhub.metrics) | {"up"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects.

    >>> sorted(metric_names('sum by (le) (rate(a_bucket{job="x"}[5m])) / on(i) b > 1e-3'))
    ['a_bucket', 'b']
    """
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\$\w+", " ", text)
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"(?<![\w.])\d+(?:\.\d+)?(?:e[+-]?\d+)?", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        if text[match.end() :].lstrip().startswith("(") or match.group() in KEYWORDS:
            continue  # a function or an aggregation
        names.add(match.group())
    return names


def dashboard_exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def rule_exprs() -> list[str]:
    rules = yaml.safe_load(RULES.read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


@needs_promtool
def test_the_rules_pass_promtool_check_and_their_unit_tests() -> None:
    assert PROMTOOL is not None
    check = subprocess.run(
        [PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS: 7 rules found" in check.stdout
    tested = subprocess.run(
        [PROMTOOL, "test", "rules", "alerts_test.yaml"],
        capture_output=True,
        text=True,
        cwd=HERE,
        check=False,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
    # Every alert is tested both firing and quiet.
    tests = yaml.safe_load((HERE / "alerts_test.yaml").read_text())["tests"]
    cases = [case for test in tests for case in test["alert_rule_test"]]
    alerts = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    assert {c["alertname"] for c in cases if c["exp_alerts"]} == alerts
    assert {c["alertname"] for c in cases if not c["exp_alerts"]} == alerts


def test_rules_and_dashboards_query_only_metrics_that_exist(known: set[str]) -> None:
    queried: dict[str, set[str]] = {"alerts.yaml": set()}
    for expr in rule_exprs():
        queried["alerts.yaml"] |= metric_names(expr)
    for path in DASHBOARDS:
        queried[path.name] = set()
        for expr in dashboard_exprs(json.loads(path.read_text())):
            queried[path.name] |= metric_names(expr)
    unknown = {name: sorted(found - known) for name, found in queried.items() if found - known}
    assert not unknown, f"metrics nobody exports: {unknown}"
    everything = set().union(*queried.values())
    for wanted in (
        "db_connections_active",
        "db_query_duration_seconds_bucket",
        "strong_imps_found_total",
        "compounds_classified_total",
        "compound_best_score_bucket",
        "queue_depth",
        "jupyterhub_running_servers",
    ):
        assert wanted in everything, wanted


def test_the_three_dashboards_are_grafana_dashboards_with_a_datasource_choice() -> None:
    assert [p.stem for p in DASHBOARDS] == ["job-processing", "science", "system-overview"]
    uids = set()
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        uids.add(dashboard["uid"])
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)) >= 6, path.name
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == "${datasource}", (path.name, panel["title"])
            assert panel["targets"], (path.name, panel["title"])
    assert len(uids) == len(DASHBOARDS)
