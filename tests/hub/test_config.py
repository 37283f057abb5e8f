"""hub/jupyterhub_config.py and hub/dask_gateway_config.py loaded as JupyterHub and
dask-gateway-server load them (traitlets' file loader), in both modes.

The processes themselves are started in test_platform.py; these tests pin what each mode
configures and that a production hub refuses to start half-configured.
"""

from __future__ import annotations

import importlib.util
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

HUB_DIR = Path(__file__).resolve().parents[2] / "hub"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("jupyterhub") is None
    or importlib.util.find_spec("dask_gateway_server") is None,
    reason="the hub extra is not installed (pip install -e '.[hub]')",
)

PRODUCTION = {
    "IMPULATOR_HUB_MODE": "production",
    "IMPULATOR_OIDC_ISSUER": "https://sso.example.org/realms/chem/",
    "IMPULATOR_OIDC_CLIENT_ID": "impulator",
    "IMPULATOR_OIDC_CLIENT_SECRET": "client-secret",
    "OAUTH_CALLBACK_URL": "https://impulator.example.org/hub/oauth_callback",
    "IMPULATOR_OIDC_GROUP_MAP": "med-chem=impulator-chemists,readers=impulator-viewers",
    "IMPULATOR_GATEWAY_ADDRESS": "http://proxy-public/services/dask-gateway",
    "IMPULATOR_GATEWAY_PROXY_ADDRESS": "gateway://traefik-dask-gateway:80",
}


def load(name: str, monkeypatch: pytest.MonkeyPatch, home: Path, **env: str) -> Config:
    for variable in ("IMPULATOR_HUB_ADMIN_DATABASE_URL", "DASK_GATEWAY_ENCRYPT_KEYS"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("IMPULATOR_HUB_HOME", str(home))
    monkeypatch.setenv("IMPULATOR_DEMO_PASSWORD", "a-demo-password")
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    return PyFileConfigLoader(name, path=str(HUB_DIR)).load_config()


def test_local_mode_roles_scopes_services_and_gateway_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    c = load(
        "jupyterhub_config.py",
        monkeypatch,
        tmp_path,
        IMPULATOR_HUB_PORT="8123",
        IMPULATOR_GATEWAY_PORT="8124",
        IMPULATOR_IDLE_TIMEOUT="600",
    )
    assert c.JupyterHub.authenticator_class.__name__ == "SharedPasswordAuthenticator"
    assert set(c.JupyterHub.custom_scopes) == {
        "custom:impulator:read",
        "custom:impulator:write",
        "custom:impulator:admin",
    }
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    api_access = "access:services!service=impulator-api"
    assert roles["impulator-viewer"]["scopes"] == ["custom:impulator:read", api_access]
    assert all(api_access in roles[f"impulator-{r}"]["scopes"] for r in ("chemist", "admin"))
    assert roles["impulator-viewer"]["groups"] == ["impulator-viewers"]
    # Viewers get no gateway access; chemists and instructors do.
    gateway_access = "access:services!service=dask-gateway"
    assert gateway_access not in roles["impulator-viewer"]["scopes"]
    assert gateway_access in roles["impulator-chemist"]["scopes"]
    assert set(roles["impulator-chemist"]["groups"]) == {
        "impulator-chemists",
        "impulator-instructors",
    }
    assert "custom:impulator:admin" in roles["impulator-admin"]["scopes"]
    assert roles["idle-culler"]["services"] == ["idle-culler"]
    assert gateway_access in c.Spawner.server_token_scopes

    env = c.Spawner.environment
    assert env["DASK_GATEWAY__ADDRESS"] == "http://127.0.0.1:8123/services/dask-gateway"
    assert env["DASK_GATEWAY__PROXY_ADDRESS"] == "gateway://127.0.0.1:8124"
    assert env["DASK_GATEWAY__AUTH__TYPE"] == "jupyterhub"
    assert not any("PASSWORD" in k or "DATABASE" in k for k in env)

    services = {service["name"]: service for service in c.JupyterHub.services}
    assert set(services) == {"impulator-runner", "impulator-api", "dask-gateway", "idle-culler"}
    api = services["impulator-api"]
    assert api["url"].startswith("http://127.0.0.1:") and api["command"][1:3] == ["api", "--port"]
    assert not any("PASSWORD" in k for k in api["environment"])
    assert api["oauth_no_confirm"] and "custom:impulator:read" in api["oauth_client_allowed_scopes"]
    gateway = services["dask-gateway"]
    assert gateway["url"] == "http://127.0.0.1:8124"
    assert gateway["command"][-1].endswith("dask_gateway_config.py")
    key = tmp_path / "gateway" / "encrypt-key"
    assert gateway["environment"]["DASK_GATEWAY_ENCRYPT_KEYS"] == key.read_text().strip()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "--timeout=600" in services["idle-culler"]["command"]
    # The key is made once and kept.
    again = load("jupyterhub_config.py", monkeypatch, tmp_path)
    assert {s["name"]: s for s in again.JupyterHub.services}["dask-gateway"]["environment"][
        "DASK_GATEWAY_ENCRYPT_KEYS"
    ] == key.read_text().strip()


def test_production_mode_uses_openid_connect_with_group_claims(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    c = load("jupyterhub_config.py", monkeypatch, tmp_path, **PRODUCTION)
    assert c.JupyterHub.authenticator_class.__name__ == "GenericOAuthenticator"
    auth = c.GenericOAuthenticator
    endpoints = "https://sso.example.org/realms/chem/protocol/openid-connect"
    assert auth.authorize_url == f"{endpoints}/auth"
    assert auth.token_url == f"{endpoints}/token"
    assert auth.userdata_url == f"{endpoints}/userinfo"
    assert auth.manage_groups is True
    assert auth.allowed_groups == {
        "impulator-admins",
        "impulator-instructors",
        "impulator-chemists",
        "impulator-viewers",
    }
    assert auth.admin_groups == {"impulator-admins"}
    state: dict[str, Any] = {"oauth_user": {"groups": ["/med-chem", "/kinase-team"]}}
    assert auth.auth_state_groups_key(state) == ["impulator-chemists", "kinase-team"]
    assert auth.auth_state_groups_key({"oauth_user": {}}) == []
    # The deployment owns the spawner, the network and the hub database.
    assert "spawner_class" not in c.JupyterHub
    assert "db_url" not in c.JupyterHub
    assert c.Spawner.environment["DASK_GATEWAY__PROXY_ADDRESS"] == (
        "gateway://traefik-dask-gateway:80"
    )
    assert c.JupyterHub.services == []  # no gateway URL given: nothing registered


@pytest.mark.parametrize(
    "missing", ["IMPULATOR_OIDC_CLIENT_ID", "IMPULATOR_OIDC_CLIENT_SECRET", "OAUTH_CALLBACK_URL"]
)
def test_production_mode_names_a_missing_setting(
    missing: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    monkeypatch.delenv(missing, raising=False)
    with pytest.raises(RuntimeError, match=missing):
        load("jupyterhub_config.py", monkeypatch, tmp_path, **env)


def test_an_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"'local' .*'production'"):
        load("jupyterhub_config.py", monkeypatch, tmp_path, IMPULATOR_HUB_MODE="cloud")


def test_gateway_config_caps_clusters_by_group(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    c = load(
        "dask_gateway_config.py",
        monkeypatch,
        tmp_path,
        IMPULATOR_GATEWAY_PORT="8124",
        JUPYTERHUB_SERVICE_NAME="dask-gateway",
        IMPULATOR_DATA_DIR="/data",
        IMPULATOR_HUB_ADMIN_DATABASE_URL="postgresql://x",
    )
    assert c.JupyterHubAuthenticator.jupyterhub_service_name == "dask-gateway"
    assert c.Proxy.prefix == "/services/dask-gateway"
    assert c.Proxy.address == "127.0.0.1:8124"
    assert c.DBBackendBase.db_url.startswith("sqlite:///")
    assert c.LocalClusterConfig.idle_timeout > 0
    # Workers get the data settings, never a database login.
    assert c.LocalClusterConfig.environment["IMPULATOR_DATA_DIR"] == "/data"
    assert not any("DATABASE" in k for k in c.LocalClusterConfig.environment)

    def limits(*groups: str) -> tuple[int, float, dict[str, Any]]:
        user = SimpleNamespace(name="u", groups=list(groups))
        options = c.Backend.cluster_options(user)
        spec = {f["field"]: f["spec"] for f in options.get_specification()}
        chosen = options.get_configuration({"worker_cores": 1, "worker_memory": 1.0}, user)
        return spec["worker_cores"]["max"], spec["worker_memory"]["max"], chosen

    cores, memory, chosen = limits("impulator-chemists", "demo-team")
    assert (cores, memory, chosen["cluster_max_workers"]) == (2, 2.0, 4)
    assert chosen["worker_memory"] == 2**30
    assert limits("impulator-admins", "impulator-chemists")[2]["cluster_max_workers"] == 8
    assert limits("somebody-else")[2]["cluster_max_workers"] == 2


def test_an_extra_config_file_runs_last_on_the_same_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import asyncio

    light = HUB_DIR.parent / "benchmarks" / "load" / "hub_config.py"
    c = load(
        "jupyterhub_config.py",
        monkeypatch,
        tmp_path / "home",
        IMPULATOR_HUB_EXTRA_CONFIG=str(light),
        IMPULATOR_LOAD_SPAWN_LIMIT="150",
    )
    assert c.JupyterHub.concurrent_spawn_limit == 150
    hook = c.SimpleLocalProcessSpawner.pre_spawn_hook
    assert hook is c.Spawner.pre_spawn_hook and hook.__name__ == "light_for_simulated_users"
    # impulator's hook runs first (a user in no impulator group is refused there).
    user = SimpleNamespace(name="load-0001", groups=[])
    spawner = SimpleNamespace(user=user, environment={}, cmd=["jupyterhub-singleuser"])
    with pytest.raises(RuntimeError, match="none of the impulator groups"):
        asyncio.run(hook(spawner))
    # A missing extra file stops the hub with its name (never silently skipped).
    missing = tmp_path / "missing_config.py"
    with pytest.raises(FileNotFoundError, match=r"missing_config\.py"):
        load(
            "jupyterhub_config.py",
            monkeypatch,
            tmp_path / "home2",
            IMPULATOR_HUB_EXTRA_CONFIG=str(missing),
        )
