"""helm/impulator rendered offline (helm-python-sdk), linted and validated against
Kubernetes 1.33's schemas, once per values file."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from impulator.hub import api_service

CHART = Path(__file__).resolve().parents[2] / "helm" / "impulator"
VALUES = ["default", "external-oidc", "bundled-db", "no-gateway"]
KUBE = "1.33.0"
#: Objects Kubernetes has no built-in schema for: dask-gateway's Traefik CRDs' kinds and the
#: Prometheus Operator's (the monitoring of ci/external-oidc-values.yaml).
NO_SCHEMA = {
    "IngressRoute",
    "IngressRouteTCP",
    "Middleware",
    "DaskCluster",
    "ServiceMonitor",
    "PrometheusRule",
}
OURS = "impulator/templates/"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("helm_python") is None
    or importlib.util.find_spec("kubernetes_validate") is None,
    reason="needs helm-python-sdk and kubernetes-validate (the dev extra)",
)

Rendered = dict[str, list[dict[str, Any]]]


def values_of(name: str) -> dict[str, Any]:
    if name == "default":
        return {}
    loaded: dict[str, Any] = yaml.safe_load((CHART / "ci" / f"{name}-values.yaml").read_text())
    return loaded


@pytest.fixture(scope="module", params=VALUES)
def rendered(request: pytest.FixtureRequest) -> tuple[str, Rendered]:
    import helm_python as helm

    chart = helm.Chart.load(CHART)
    out = chart.render(values_of(request.param), name="impulator", namespace="impulator")
    docs = {
        path: [d for d in yaml.safe_load_all(text) if d]
        for path, text in out.items()
        if path.endswith((".yaml", ".yml")) and text.strip()
    }
    return request.param, docs


def objects(docs: Rendered, ours_only: bool = False) -> list[dict[str, Any]]:
    return [
        o for path, items in docs.items() for o in items if path.startswith(OURS) or not ours_only
    ]


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    kind = obj["kind"]
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        spec: dict[str, Any] = obj["spec"]["template"]["spec"]
        return spec
    return None


def test_lint_has_no_errors() -> None:
    import helm_python as helm

    for name in VALUES:
        report = helm.lint(CHART, values_of(name), kube_version=f"v{KUBE}")
        assert report["errors"] == [], (name, report)
        assert not [m for m in report["messages"] if m["severity"] >= 2], (name, report)


def test_every_object_is_valid_for_kubernetes_1_33(rendered: tuple[str, Rendered]) -> None:
    import kubernetes_validate

    _, docs = rendered
    unschematised = set()
    for obj in objects(docs):
        try:
            kubernetes_validate.validate(obj, KUBE, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            unschematised.add(obj["kind"])
    assert unschematised <= NO_SCHEMA


def test_our_containers_have_resources_run_as_non_root_read_only(
    rendered: tuple[str, Rendered],
) -> None:
    _, docs = rendered
    for obj in objects(docs, ours_only=True):
        spec = pod_spec(obj)
        if spec is None:
            continue
        pod_security = spec.get("securityContext", {})
        for container in spec["containers"] + spec.get("initContainers", []):
            where = f"{obj['kind']}/{obj['metadata']['name']}/{container['name']}"
            resources = container.get("resources", {})
            for part in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(part, {})), where
            security = container.get("securityContext", {})
            assert security.get("runAsNonRoot") or pod_security.get("runAsNonRoot"), where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("allowPrivilegeEscalation") is False, where


def test_every_image_tag_is_pinned(rendered: tuple[str, Rendered]) -> None:
    _, docs = rendered
    for obj in objects(docs):
        spec = pod_spec(obj)
        if spec is None:
            continue
        for container in spec["containers"] + spec.get("initContainers", []):
            image = container["image"]
            tag = image.rsplit("/", 1)[-1].partition(":")[2]
            assert tag and tag != "latest", image


SECRETISH = re.compile(r"(password|token|secret|admin-url|postgresql\+psycopg://[^@\s]+:[^@\s]+@)")


def test_no_password_or_token_in_a_configmap_or_plain_env(
    rendered: tuple[str, Rendered],
) -> None:
    _, docs = rendered
    for obj in objects(docs, ours_only=True):
        assert obj["kind"] != "ConfigMap" or not SECRETISH.search(yaml.safe_dump(obj["data"]))
        spec = pod_spec(obj)
        for container in (spec or {}).get("containers", []):
            for env in container.get("env", []):
                if "value" in env:
                    assert not SECRETISH.search(f"{env['name']}={env['value']}".lower()), env
    # z2jh's hub ConfigMap carries our hub settings: no credential there either.
    for obj in objects(docs):
        if obj["kind"] == "ConfigMap":
            text = yaml.safe_dump(obj.get("data", {}))
            assert "postgresql+psycopg://" not in text
            assert "from-the-site" not in text


def test_the_migration_hook_runs_before_the_runner(rendered: tuple[str, Rendered]) -> None:
    name, docs = rendered
    migrate = docs[OURS + "migration-job.yaml"][0]
    hooks = migrate["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert {"pre-install", "pre-upgrade"} <= set(hooks)
    runner = docs[OURS + "runner.yaml"][0]
    assert "helm.sh/hook" not in runner["metadata"].get("annotations", {})
    assert runner["spec"]["replicas"] == 2
    if name == "bundled-db":  # the database exists before the hook: lower hook weights
        for obj in docs[OURS + "postgres.yaml"]:
            weight = int(obj["metadata"]["annotations"]["helm.sh/hook-weight"])
            assert weight < int(migrate["metadata"]["annotations"]["helm.sh/hook-weight"])


def test_dask_workers_are_kept_off_postgresql(rendered: tuple[str, Rendered]) -> None:
    _, docs = rendered
    policies = [o for o in objects(docs, ours_only=True) if o["kind"] == "NetworkPolicy"]
    dask = next(p for p in policies if p["metadata"]["name"].endswith("dask-no-postgres"))
    selected = dask["spec"]["podSelector"]["matchExpressions"][0]["values"]
    assert set(selected) == {"dask-scheduler", "dask-worker"}
    for rule in dask["spec"]["egress"]:
        for port in rule["ports"]:
            if port["protocol"] == "TCP":
                assert not port["port"] <= 5432 <= port.get("endPort", port["port"])
    # The labels that open PostgreSQL are on the hub, the runner and user servers only.
    runner = docs[OURS + "runner.yaml"][0]
    assert runner["spec"]["template"]["metadata"]["labels"]["impulator/postgres-client"] == "true"


def test_gateway_disabled_renders_no_gateway(rendered: tuple[str, Rendered]) -> None:
    name, docs = rendered
    gateway = [p for p in docs if "/charts/dask-gateway/" in p]
    assert bool(gateway) == (name != "no-gateway")


def test_the_api_is_a_hub_service_with_the_hubs_token(
    rendered: tuple[str, Rendered], tmp_path: Path
) -> None:
    _, docs = rendered
    api = docs[OURS + "api.yaml"][0]
    container = api["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["JUPYTERHUB_SERVICE_PREFIX"]["value"] == "/services/impulator-api/"
    token = env["JUPYTERHUB_API_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert token == {"name": "hub", "key": "hub.services.impulator-api.apiToken"}
    assert "secretKeyRef" in env["IMPULATOR_API_DATABASE_URL"]["valueFrom"]
    labels = api["spec"]["template"]["metadata"]["labels"]
    assert labels["hub.jupyter.org/network-access-hub"] == "true"  # may ask the hub
    service = docs[OURS + "api.yaml"][1]
    assert service["kind"] == "Service" and service["metadata"]["name"] == "impulator-api"
    hub_values = yaml.safe_load((CHART / "values.yaml").read_text())["jupyterhub"]["hub"]
    chart_service = hub_values["services"]["impulator-api"]
    assert chart_service["url"] == "http://impulator-api:8000"
    # Browsers log in through the hub's OAuth with the same scopes as in local mode.
    assert env["JUPYTERHUB_CLIENT_ID"]["value"] == "service-impulator-api"
    local = api_service(tmp_path, {}, {}, None)
    assert chart_service["oauth_no_confirm"] is local["oauth_no_confirm"] is True
    assert chart_service["oauth_client_allowed_scopes"] == local["oauth_client_allowed_scopes"]


def test_monitoring_ships_the_rules_and_dashboards_files(rendered: tuple[str, Rendered]) -> None:
    name, docs = rendered
    monitoring = docs.get(OURS + "monitoring.yaml", [])
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for obj in monitoring:
        by_kind.setdefault(obj["kind"], []).append(obj)
    # The runner always serves metrics, for annotations or a ServiceMonitor to find.
    runner, runner_service = docs[OURS + "runner.yaml"]
    container = runner["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][-4:] == ["--metrics-port", "9102", "--metrics-host", "0.0.0.0"]
    assert runner["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == "9102"
    assert runner_service["metadata"]["labels"]["impulator/metrics-job"] == "impulator-runner"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["IMPULATOR_LOG_FORMAT"] == "json"
    if name != "external-oidc":  # monitoring is off by default: no CRD is needed
        assert not monitoring
        return
    rule = by_kind["PrometheusRule"][0]
    files = CHART / "monitoring"
    assert rule["spec"] == yaml.safe_load((files / "alerts.yaml").read_text())
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    dashboards = {key: value for cm in by_kind["ConfigMap"] for key, value in cm["data"].items()}
    for path in sorted((files / "dashboards").glob("*.json")):
        assert dashboards.pop(f"impulator-{path.name}") == path.read_text().rstrip("\n")
    assert not dashboards
    assert all(cm["metadata"]["labels"]["grafana_dashboard"] == "1" for cm in by_kind["ConfigMap"])
    ours, hub = by_kind["ServiceMonitor"]
    assert ours["spec"]["jobLabel"] == "impulator/metrics-job"
    paths = {e["port"]: e["path"] for e in ours["spec"]["endpoints"]}
    assert paths == {"http": "/services/impulator-api/metrics", "metrics": "/metrics"}
    assert hub["spec"]["endpoints"][0]["path"] == "/hub/metrics"
    assert hub["spec"]["endpoints"][0]["authorization"]["credentials"]["name"] == (
        "prometheus-hub-token"
    )
