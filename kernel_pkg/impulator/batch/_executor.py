"""Where the chunks run: an existing Dask cluster, a LocalCluster, or a Dask Gateway cluster.

Workers compute and nothing else: they open the bioactivity source the impulator
configuration names (``IMPULATOR_DATA_DIR``, ``IMPULATOR_CHEMBL_*``, ``IMPULATOR_PDB_*``,
``IMPULATOR_OFFLINE``) and return reports; the caller alone stores results. So:

- LocalCluster workers are processes of this machine that inherit ``os.environ`` (the same
  data directory and sources as the notebook), except the results database's URL
  (``IMPULATOR_DATABASE_URL``), which is blanked for them: they never see its credentials.
- A Dask Gateway's schedulers and workers get their environment from the gateway's own
  configuration (``c.ClusterConfig.environment`` or the backend's image/profile), never from
  the notebook: the administrator sets the ``IMPULATOR_*`` variables there, without
  ``IMPULATOR_DATABASE_URL``.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import dask
from distributed import Client, LocalCluster

from impulator._errors import InvalidInput

__all__ = [
    "DEFAULT_GATEWAY_WORKERS",
    "WORKER_HIDDEN_VARIABLES",
    "close_gateway",
    "local_workers",
    "open_client",
]

#: Workers a new Dask Gateway cluster is scaled to when no number is given.
DEFAULT_GATEWAY_WORKERS = 4
#: Environment variables blanked for LocalCluster workers (credentials they must not hold).
WORKER_HIDDEN_VARIABLES = ("IMPULATOR_DATABASE_URL",)
# How long to wait for a new gateway cluster's first worker before saying what is wrong.
_GATEWAY_WORKER_TIMEOUT = 300.0


def local_workers() -> int:
    """Workers of a default LocalCluster: one per core, at most 4 (one thread each)."""
    return max(1, min(os.cpu_count() or 1, 4))


@contextlib.contextmanager
def open_client(
    cluster: Any = None,
    *,
    workers: int | None = None,
    gateway: Any = None,
    cluster_options: Mapping[str, Any] | None = None,
) -> Iterator[Client]:
    """A Dask client for ``cluster``, and whatever was started for it closed on exit.

    ``cluster`` may be:

    - a ``distributed.Client``: used as it is, not closed;
    - a cluster object (``LocalCluster``, ``GatewayCluster``, ...): a client for it (the
      cluster is yours and stays up);
    - a scheduler address such as ``"tcp://10.0.0.5:8786"``: connected to;
    - ``"local"``: a new ``LocalCluster`` of ``workers`` processes (default: one per core,
      at most 4), one thread each, closed on exit;
    - ``"gateway"`` or a ``dask_gateway.Gateway``: a new cluster of yours on the Dask Gateway
      (``gateway``, or ``dask_gateway.Gateway()`` from the standard dask-gateway
      configuration), scaled to ``workers`` (default 4) and shut down on exit;
    - None: ``"gateway"`` when a gateway address is configured
      (``dask.config.get("gateway.address")``, set by ``DASK_GATEWAY__ADDRESS``), else
      ``"local"``.

    ``cluster_options`` (``worker_cores``, ``worker_memory``, ...) go to a new gateway
    cluster when the gateway offers them (others are skipped with a warning); a LocalCluster
    takes ``worker_memory`` as each worker's memory limit.

    Example:
        >>> with open_client("local", workers=1) as client:  # doctest: +SKIP
        ...     client.submit(sum, [1, 2]).result()
        3
    """
    if isinstance(cluster, Client):
        yield cluster
        return
    if _is_gateway(cluster):
        gateway, cluster = cluster, "gateway"
    if cluster is None:
        configured = dask.config.get("gateway.address", None)
        cluster = "gateway" if gateway is not None or configured else "local"
    options = dict(cluster_options or {})
    if cluster == "local":
        with _local_cluster(workers, options) as client:
            yield client
    elif cluster == "gateway":
        with _gateway_cluster(gateway, workers, options) as client:
            yield client
    elif isinstance(cluster, str):
        with _new_client(cluster) as client:
            yield client
    elif hasattr(cluster, "get_client") or hasattr(cluster, "scheduler_address"):
        with _client_of(cluster) as client:
            yield client
    else:
        raise TypeError(
            "cluster must be a distributed.Client, a cluster object, a scheduler address, "
            f"'local', 'gateway', a dask_gateway.Gateway or None, not {type(cluster).__name__}"
        )


def _is_gateway(value: Any) -> bool:
    kind = type(value)
    return kind.__name__ == "Gateway" and kind.__module__.startswith("dask_gateway")


@contextlib.contextmanager
def _local_cluster(workers: int | None, options: dict[str, Any]) -> Iterator[Client]:
    hidden = {name: "" for name in WORKER_HIDDEN_VARIABLES if os.environ.get(name)}
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers or local_workers(),
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: never collides with the hub's or another's
        memory_limit=options.pop("worker_memory", "auto"),
        env=hidden,  # the Nanny sets these in each worker process, over os.environ
    )
    try:
        with _new_client(cluster) as client:
            yield client
    finally:
        cluster.close()


@contextlib.contextmanager
def _gateway_cluster(
    gateway: Any, workers: int | None, options: dict[str, Any]
) -> Iterator[Client]:
    import dask_gateway  # type: ignore[import-untyped]

    own_gateway = gateway is None
    if gateway is None:
        address = dask.config.get("gateway.address", None)
        if not address:
            raise InvalidInput(
                "no Dask Gateway is configured: set DASK_GATEWAY__ADDRESS (or gateway.address "
                "in the dask configuration), pass a dask_gateway.Gateway, or use cluster='local'"
            )
        gateway = dask_gateway.Gateway()
    try:
        chosen = _offered(gateway, options)
        cluster = gateway.new_cluster(shutdown_on_close=True, **chosen)
        try:
            cluster.scale(workers or DEFAULT_GATEWAY_WORKERS)
            client = cluster.get_client()
            try:
                _wait_for_a_worker(client, gateway)
                yield client
            finally:
                client.close()
        finally:
            cluster.shutdown()
            close_gateway(cluster.gateway)  # the cluster's own connection to the gateway
    finally:
        if own_gateway:
            close_gateway(gateway)


def close_gateway(gateway: Any) -> None:
    """Close a ``dask_gateway.Gateway`` for good (a no-op when it is closed already).

    dask-gateway 2026.3 closes a Gateway again when it is garbage-collected, and with
    distributed 2026.8 that second close raises ("Exception ignored in Gateway.__del__":
    a stopped LoopRunner has no loop). ``__del__`` only closes a Gateway that still has its
    loop runner, so it is dropped once the Gateway is closed here.
    """
    runner = getattr(gateway, "_loop_runner", None)
    if runner is None:
        return
    if runner.is_started():
        gateway.close()
    del gateway._loop_runner


def _offered(gateway: Any, options: dict[str, Any]) -> dict[str, Any]:
    if not options:
        return {}
    offered = gateway.cluster_options()
    skipped = sorted(set(options) - set(offered))
    if skipped:
        warnings.warn(
            f"the Dask Gateway does not offer {', '.join(skipped)} (it offers "
            f"{', '.join(offered) or 'no options'}); the cluster starts without them",
            stacklevel=4,
        )
    return {k: v for k, v in options.items() if k in offered}


def _wait_for_a_worker(client: Client, gateway: Any) -> None:
    try:
        client.wait_for_workers(1, timeout=_GATEWAY_WORKER_TIMEOUT)
    except TimeoutError:
        raise TimeoutError(
            f"the Dask Gateway at {gateway.address} started a cluster but no worker joined it "
            f"within {_GATEWAY_WORKER_TIMEOUT:.0f} s: the gateway may be out of resources, or "
            "its worker command fails (ask its administrator to check the worker logs)"
        ) from None


def _new_client(address: Any) -> Client:
    """A new client, the default one while it is open (``dask.compute`` and
    ``as_completed()`` use it); on close, the notebook's own default client is again."""
    return Client(address)  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def _client_of(cluster: Any) -> Iterator[Client]:
    try:
        before: Client | None = Client.current()  # type: ignore[no-untyped-call]
    except ValueError:
        before = None
    if hasattr(cluster, "get_client"):
        client: Client = cluster.get_client()
    else:
        client = _new_client(cluster)
    try:
        yield client
    finally:
        if client is not before:  # ours, not the notebook's default client
            client.close()  # type: ignore[no-untyped-call]
