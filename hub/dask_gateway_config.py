"""Dask Gateway configuration of the impulator platform (a JupyterHub-managed service).

Read by ``dask-gateway-server -f hub/dask_gateway_config.py``, which the hub starts as its
``dask-gateway`` service (see ``configure_gateway`` in ``jupyterhub_config.py``). Users reach
it through the hub at ``/services/dask-gateway`` with their own JupyterHub token; schedulers
are reached on the same port (the proxy tells TLS scheduler traffic from HTTP).

| variable | meaning |
|---|---|
| ``IMPULATOR_HUB_HOME`` | the platform's data directory: ``gateway/`` holds the database and
  the clusters' folders |
| ``IMPULATOR_GATEWAY_PORT`` | the gateway's proxy port on 127.0.0.1 |
| ``IMPULATOR_GATEWAY_IDLE_TIMEOUT`` | seconds before an idle cluster is shut down (default 1800) |
| ``DASK_GATEWAY_ENCRYPT_KEYS`` | key for the cluster secrets kept in the database (the hub
  generates one and keeps it, mode 600) |
| ``JUPYTERHUB_API_TOKEN``, ``JUPYTERHUB_API_URL``, ``JUPYTERHUB_SERVICE_NAME`` | set by the hub
  for its services |

Schedulers and workers get the data-source settings (``IMPULATOR_*`` without credentials)
and nothing else: they compute, they never hold a database login.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from dask_gateway_server.options import Float, Integer, Options

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by traitlets

HOME = Path(
    os.environ.get("IMPULATOR_HUB_HOME") or Path(__file__).resolve().parent.parent / ".impulator"
)
STATE = HOME / "gateway"
BIN = Path(sys.executable).parent
PORT = int(os.environ.get("IMPULATOR_GATEWAY_PORT", "8002"))
SERVICE = os.environ.get("JUPYTERHUB_SERVICE_NAME", "dask-gateway")

#: Per-cluster caps by JupyterHub group, strongest first: (max cores per worker, max GiB per
#: worker, max workers per cluster). A user in none of them gets the last (smallest) line.
CAPS_BY_GROUP = {
    "impulator-admins": (2, 4.0, 8),
    "impulator-instructors": (2, 4.0, 8),
    "impulator-chemists": (2, 2.0, 4),
    "": (1, 1.0, 2),
}


def caps_for(groups: list[str] | set[str]) -> tuple[int, float, int]:
    """The caps of the strongest impulator group in ``groups``."""
    for group, caps in CAPS_BY_GROUP.items():
        if group in groups or not group:
            return caps
    raise AssertionError("unreachable: the last line matches everyone")


def cluster_options(user: Any) -> Options:
    """What a user may choose for a cluster; the limits follow the user's groups."""
    cores, memory, workers = caps_for(set(user.groups))

    def handler(options: Any, user: Any) -> dict[str, Any]:
        return {
            "worker_cores": options.worker_cores,
            "worker_memory": int(options.worker_memory * 2**30),
            "cluster_max_workers": workers,
        }

    return Options(
        Integer("worker_cores", default=1, min=1, max=cores, label="Cores per worker"),
        Float("worker_memory", default=1.0, min=0.5, max=memory, label="Memory per worker (GiB)"),
        handler=handler,
    )


STATE.mkdir(parents=True, exist_ok=True)
(STATE / "clusters").mkdir(exist_ok=True)

# Authentication: the caller's JupyterHub token, and only tokens granted access to this
# service (``access:services!service=dask-gateway``, given by the impulator-compute role).
c.DaskGateway.authenticator_class = "dask_gateway_server.auth.JupyterHubAuthenticator"
c.JupyterHubAuthenticator.jupyterhub_service_name = SERVICE

# Routes: the hub proxies /services/dask-gateway/ here.
c.Proxy.address = f"127.0.0.1:{PORT}"
c.Proxy.prefix = f"/services/{SERVICE}"
c.DaskGateway.address = "127.0.0.1:0"  # the private API, for the clusters only

# Its own database (its schema does not run on PostgreSQL); cluster secrets encrypted.
c.DBBackendBase.db_url = f"sqlite:///{STATE / 'gateway.sqlite'}"

# Clusters: local processes of this installation. UnsafeLocalBackend runs them as the
# gateway's own user; the Helm chart uses the Kubernetes backend instead.
c.DaskGateway.backend_class = "dask_gateway_server.backends.local.UnsafeLocalBackend"
c.LocalBackend.clusters_directory = str(STATE / "clusters")
c.LocalClusterConfig.scheduler_cmd = [str(BIN / "dask"), "scheduler"]
c.LocalClusterConfig.worker_cmd = [str(BIN / "dask"), "worker"]
c.LocalClusterConfig.environment = {
    name: value
    for name, value in os.environ.items()
    if name.startswith("IMPULATOR_") and "DATABASE" not in name and "PASSWORD" not in name
}
c.LocalClusterConfig.idle_timeout = float(os.environ.get("IMPULATOR_GATEWAY_IDLE_TIMEOUT", "1800"))
# Hard ceilings whatever the options say; the group's worker cap comes from the handler.
c.ClusterConfig.cluster_max_cores = 16
c.ClusterConfig.cluster_max_memory = "32 G"
c.Backend.cluster_options = cluster_options
