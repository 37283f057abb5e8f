"""score on a real Dask Gateway: dask-gateway-server (local backend, simple password auth)
started by this test on free loopback ports, its clusters made of ``dask scheduler`` and
``dask worker`` processes of this virtualenv, shut down when the batch is done.

Configuration, as documented by dask-gateway (docs/source/install-local.rst,
authentication.rst, cluster-options.rst) and checked against dask-gateway-server 2026.3:

- ``c.DaskGateway.backend_class``: ``UnsafeLocalBackend`` runs clusters as local processes
  of the server's own user (for tests only: no user separation);
- ``c.DaskGateway.address``: the private API (``host:port``; default ``127.0.0.1:0``);
- ``c.Proxy.address``: the public HTTP proxy clients connect to (default ``:8000``, all
  interfaces); ``c.Proxy.tcp_address`` (the scheduler proxy) defaults to the same port;
- ``c.SimpleAuthenticator.password``: one shared password, any user name (``BasicAuth``);
- ``c.LocalClusterConfig.scheduler_cmd`` / ``worker_cmd``: a command string or list
  (defaults ``dask-scheduler`` / ``dask-worker``); ``environment``: variables for both;
  ``idle_timeout``: seconds before an idle cluster is shut down (0: never);
- ``c.Backend.cluster_options``: ``Options(...)`` fields users may set (the docstring of
  ``dask_gateway_server.options.Options`` writes ``c.Backend.DaskGateway.cluster_options``,
  but the trait is ``Backend.cluster_options``); its ``handler`` returns config overrides;
- the local backend passes only ``c.LocalBackend.inherited_environment`` (PATH, PYTHONPATH,
  VIRTUAL_ENV, ...) from the server's environment: a notebook's secrets never reach workers.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dask
import pytest
from dask_gateway import BasicAuth, Gateway  # type: ignore[import-untyped]

from impulator.batch import open_client, score
from impulator.batch._executor import close_gateway
from impulator.pipeline import analyze
from tests.conftest import DASATINIB

VENV_BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"
PASSWORD = "gateway-test-password"
QUERIES = [DASATINIB, "CNCCC(Oc1ccc(C(F)(F)F)cc1)c1ccccc1", "C1CC", "CCO"]
FAST = {"pdb": False}  # the CCD costs each new worker ~4 s; PDB is checked in test_score.py


@dataclass(frozen=True)
class GatewayServer:
    address: str
    log: Path

    @contextlib.contextmanager
    def gateway(self, user: str = "alice") -> Iterator[Gateway]:
        gateway = Gateway(self.address, auth=BasicAuth(user, PASSWORD))
        try:
            yield gateway
        finally:
            close_gateway(gateway)  # closing twice (again in __del__) raises in 2026.3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


CONFIG = """
    from dask_gateway_server.options import Float, Integer, Options

    c.DaskGateway.backend_class = "dask_gateway_server.backends.local.UnsafeLocalBackend"
    c.DaskGateway.address = "127.0.0.1:{api_port}"
    c.Proxy.address = "127.0.0.1:{proxy_port}"
    c.DaskGateway.authenticator_class = "dask_gateway_server.auth.SimpleAuthenticator"
    c.SimpleAuthenticator.password = {password!r}
    c.LocalBackend.clusters_directory = {clusters!r}
    c.LocalClusterConfig.scheduler_cmd = [{dask!r}, "scheduler"]
    c.LocalClusterConfig.worker_cmd = [{dask!r}, "worker"]
    c.LocalClusterConfig.environment = {environment!r}
    c.LocalClusterConfig.idle_timeout = 300  # a cluster leaked by a failing test dies anyway

    def options_handler(options):
        return {{
            "worker_cores": options.worker_cores,
            "worker_memory": int(options.worker_memory * 2**30),
        }}

    c.Backend.cluster_options = Options(
        Integer("worker_cores", default=1, min=1, max=2),
        Float("worker_memory", default=1, min=0.5, max=2),
        handler=options_handler,
    )
"""


@pytest.fixture(scope="module")
def server(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayServer]:
    if not (VENV_BIN / "dask-gateway-server").exists():
        pytest.skip(
            "dask-gateway-server is not installed (pip install 'dask-gateway-server[local]')"
        )
    folder = tmp_path_factory.mktemp("gateway")
    (folder / "clusters").mkdir()
    proxy_port = free_port()
    environment = {
        "IMPULATOR_DATA_DIR": str(demo_dir),
        "IMPULATOR_PDB_SOURCE": "ccd",
        "IMPULATOR_OFFLINE": "1",
    }
    config = folder / "dask_gateway_config.py"
    config.write_text(
        textwrap.dedent(CONFIG).format(
            api_port=free_port(),
            proxy_port=proxy_port,
            password=PASSWORD,
            clusters=str(folder / "clusters"),
            dask=str(VENV_BIN / "dask"),
            environment=environment,
        )
    )
    log = folder / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "dask-gateway-server"), "-f", str(config)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    found = GatewayServer(f"http://127.0.0.1:{proxy_port}", log)
    try:
        _wait_until_up(found, process)
        yield found
    finally:
        process.terminate()  # the server stops its clusters, then exits
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(server: GatewayServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"dask-gateway-server exited:\n{server.log.read_text()[-3000:]}")
        try:
            with server.gateway() as gateway:
                gateway.list_clusters()
            return
        except Exception:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"dask-gateway-server did not answer:\n{server.log.read_text()[-3000:]}"
                )
            time.sleep(0.2)


def test_score_on_a_gateway_cluster_then_shut_it_down(
    server: GatewayServer, demo_env: Path
) -> None:
    with server.gateway() as gateway:
        df = score(QUERIES, gateway, workers=2, progress=False, **FAST)
        assert gateway.list_clusters() == []  # none pending or running: it was shut down
    assert df.attrs["summary"]["workers"] >= 1
    assert df.attrs["no_neighbours"] == [4]
    assert df.attrs["errors"]["row"].tolist() == [3]
    for row, query in ((1, QUERIES[0]), (2, QUERIES[1])):
        expected = analyze(query, **FAST).rows
        got = df[df["input_row"] == row]
        assert sorted(got["final_score"].round(12)) == sorted(expected["final_score"].round(12))


def test_the_configured_gateway_is_the_default_and_takes_cluster_options(
    server: GatewayServer,
) -> None:
    config = {
        "gateway.address": server.address,
        "gateway.auth.type": "basic",
        "gateway.auth.kwargs": {"username": "bob", "password": PASSWORD},
    }
    options = {"worker_memory": 0.75, "gpus": 1}
    with dask.config.set(config), contextlib.ExitStack() as stack:
        with pytest.warns(UserWarning, match="does not offer gpus"):
            client = stack.enter_context(open_client(None, workers=1, cluster_options=options))
        [worker] = client.scheduler_info()["workers"].values()
        assert worker["memory_limit"] == int(0.75 * 2**30)
        assert client.submit(sum, [1, 2]).result() == 3
    with server.gateway("bob") as gateway:
        assert gateway.list_clusters() == []
