"""Zero to JupyterHub 4.4.0's own hub configuration, run with the hub values of our chart.

The packed chart's ``files/hub/jupyterhub_config.py`` and ``z2jh.py`` are extracted, pointed
at a temporary folder instead of ``/usr/local/etc/jupyterhub`` (where the hub pod mounts its
Secret and ConfigMap), and loaded as JupyterHub loads a config file. Our ``hub.extraConfig``
then runs inside it, as in the pod.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CHART = Path(__file__).resolve().parents[2] / "helm" / "impulator"
Z2JH = CHART / "charts" / "jupyterhub-4.4.0.tgz"
MOUNT = "/usr/local/etc/jupyterhub"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("kubespawner") is None
    or importlib.util.find_spec("oauthenticator") is None,
    reason="needs jupyterhub-kubespawner and oauthenticator (the dev and hub extras)",
)

OIDC = {
    "client_id": "impulator",
    "client_secret": "from-the-site",
    "oauth_callback_url": "https://impulator.example.org/hub/oauth_callback",
    "authorize_url": "https://sso.example.org/auth",
    "token_url": "https://sso.example.org/token",
    "userdata_url": "https://sso.example.org/userinfo",
}


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of values: mappings merged key by key, anything else replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def hub_values(extra: dict[str, Any]) -> dict[str, Any]:
    """z2jh's defaults, overridden by our chart's ``jupyterhub:`` values, then by ``extra``."""
    with tarfile.open(Z2JH) as tar:
        member = tar.extractfile("jupyterhub/values.yaml")
        assert member is not None
        defaults = yaml.safe_load(member)
    ours = yaml.safe_load((CHART / "values.yaml").read_text())["jupyterhub"]
    return merge(merge(defaults, ours), extra)


def load_z2jh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any]) -> Config:
    mount = tmp_path / "mount"
    code = tmp_path / "code"
    for folder in (mount / "secret", mount / "config", code):
        folder.mkdir(parents=True)
    with tarfile.open(Z2JH) as tar:
        for name in ("jupyterhub_config.py", "z2jh.py"):
            member = tar.extractfile(f"jupyterhub/files/hub/{name}")
            assert member is not None
            text = member.read().decode().replace(MOUNT, str(mount))
            (code / name).write_text(text)
    values = hub_values(extra)
    (mount / "secret" / "values.yaml").write_text(yaml.safe_dump(values))
    # The Secret z2jh's chart renders: generated hub secrets and the services' tokens.
    (mount / "secret" / "hub.config.JupyterHub.cookie_secret").write_text("00" * 32)
    (mount / "secret" / "hub.config.CryptKeeper.keys").write_text("11" * 32)
    for key in values["hub"]["services"]:
        (mount / "secret" / f"hub.services.{key}.apiToken").write_text("a-token")
    # The ConfigMap's resource names and the Service environment Kubernetes sets.
    for name in ("hub", "proxy-api", "proxy-public", "singleuser", "user-scheduler"):
        (mount / "config" / name).write_text(name)
        monkeypatch.setenv(f"{name.upper().replace('-', '_')}_SERVICE_PORT", "8081")
        monkeypatch.setenv(f"{name.upper().replace('-', '_')}_SERVICE_HOST", "10.0.0.1")
    for name, value in values["hub"]["extraEnv"].items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("IMPULATOR_HUB_ADMIN_DATABASE_URL", raising=False)
    # The hub image has pycurl for z2jh's curl HTTP client; this venv need not.
    from tornado.httpclient import AsyncHTTPClient

    monkeypatch.setattr(AsyncHTTPClient, "configure", classmethod(lambda *a, **k: None))
    monkeypatch.syspath_prepend(str(code))
    sys.modules.pop("z2jh", None)
    try:
        return PyFileConfigLoader("jupyterhub_config.py", path=str(code)).load_config()
    finally:
        sys.modules.pop("z2jh", None)


def test_z2jh_keeps_its_culler_and_services_and_gets_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = {
        "hub": {"config": {"GenericOAuthenticator": OIDC}},
        "singleuser": {"extraEnv": {"SITE_PROXY": "http://proxy.example.org:3128"}},
    }
    c = load_z2jh(tmp_path, monkeypatch, extra)
    services = {s["name"]: s for s in c.JupyterHub.services}
    # z2jh's idle culler and the chart's hub.services entry, each once.
    assert "jupyterhub-idle-culler" in services
    assert services["dask-gateway"]["url"] == "http://traefik-impulator-dask-gateway"
    assert services["dask-gateway"]["api_token"] == "a-token"
    assert [s["name"] for s in c.JupyterHub.services].count("dask-gateway") == 1
    # The REST API, registered by URL with the token z2jh keeps for it.
    assert services["impulator-api"]["url"] == "http://impulator-api:8000"
    assert services["impulator-api"]["api_token"] == "a-token"
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert {"jupyterhub-idle-culler", "impulator-viewer", "impulator-chemist"} <= set(roles)
    assert "custom:impulator:write" in c.JupyterHub.custom_scopes
    # The site's OIDC client kept; impulator's group handling added.
    assert c.JupyterHub.authenticator_class.__name__ == "GenericOAuthenticator"
    auth = c.GenericOAuthenticator
    assert auth.client_id == "impulator"
    assert auth.token_url == "https://sso.example.org/token"
    assert auth.manage_groups is True
    assert "impulator-chemists" in auth.allowed_groups
    # KubeSpawner: the admin's extraEnv and the gateway settings, side by side.
    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    env = c.KubeSpawner.environment
    assert env["SITE_PROXY"] == "http://proxy.example.org:3128"
    assert env["DASK_GATEWAY__ADDRESS"] == "http://proxy-public/services/dask-gateway"
    assert env["DASK_GATEWAY__PROXY_ADDRESS"].startswith("gateway://traefik-impulator")
    assert env["IMPULATOR_DATA_DIR"] == "/data/chembl"
    assert not any("PASSWORD" in k or "DATABASE" in k for k in env)
    assert callable(c.KubeSpawner.pre_spawn_hook)
    assert "custom:impulator:read" in c.KubeSpawner.server_token_scopes


def test_without_a_site_oidc_client_the_impulator_variables_are_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("IMPULATOR_OIDC_ISSUER", "IMPULATOR_OIDC_AUTHORIZE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="IMPULATOR_OIDC_ISSUER"):
        load_z2jh(tmp_path, monkeypatch, {})


def test_the_gateway_caps_of_the_chart_are_those_of_make_up() -> None:
    """The chart's gateway extraConfig gives each group the caps of hub/dask_gateway_config.py."""
    from types import SimpleNamespace

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    code = values["dask-gateway"]["gateway"]["extraConfig"]["10-impulator-options"]
    c = Config()
    exec(code, {"c": c})
    local = CHART.parents[1] / "hub" / "dask_gateway_config.py"
    caps = next(
        ast.literal_eval(node.value)
        for node in ast.parse(local.read_text()).body
        if isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "CAPS_BY_GROUP" for t in node.targets)
    )
    for group, (cores, memory, workers) in caps.items():
        user = SimpleNamespace(name="u", groups=[group] if group else ["someone-else"])
        options = c.Backend.cluster_options(user)
        spec = {f["field"]: f["spec"] for f in options.get_specification()}
        chosen = options.get_configuration({"worker_cores": 1, "worker_memory": 1.0}, user)
        assert (spec["worker_cores"]["max"], spec["worker_memory"]["max"]) == (cores, memory)
        assert chosen["cluster_max_workers"] == workers
    assert c.ClusterConfig.cluster_max_cores == 16
