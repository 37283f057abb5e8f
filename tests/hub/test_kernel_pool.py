"""The Voila pages' warm kernels (``impulator.hub.WarmKernelManager``) with real kernels: the
pool starts after the first page, the next page takes a warm kernel carrying its own request
variables, notebooks never get one, and the limits hold."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from traitlets.config import Config
from traitlets.utils.importstring import import_item

from impulator import hub
from impulator.hub import PageKernelClient, WarmKernelManager, make_pre_spawn_hook

#: A quick warm-up: the tests check it ran, not what the pages import.
WARM_CODE = "import json\nimport os\nos.environ['IMPULATOR_WARMED'] = 'yes'"


def page_env(query: str, **extra: str) -> dict[str, str]:
    """The environment Voila gives the kernel of a page opened with ``?query``."""
    return {
        **os.environ,
        "VOILA_REQUEST_URL": f"http://127.0.0.1/voila/render/P.ipynb?{query}",
        "QUERY_STRING": query,
        **extra,
    }


async def until(check: Callable[[], bool], timeout: float = 120) -> None:
    for _ in range(int(timeout * 10)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the pool did not reach the expected state")


async def environment_of(km: WarmKernelManager, kernel_id: str, *names: str) -> list[Any]:
    """``os.environ.get(name)`` of each name, read in the kernel."""
    printed: list[str] = []

    def keep(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    client: Any = km.get_kernel(kernel_id).client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        await client.execute_interactive(
            f"import json, os\nprint(json.dumps([os.environ.get(n) for n in {list(names)!r}]))",
            output_hook=keep,
            timeout=60,
        )
    finally:
        client.stop_channels()
    return list(json.loads("".join(printed)))


def run(
    test: Callable[[WarmKernelManager], Awaitable[None]], tmp_path: Path, **traits: Any
) -> None:
    async def main() -> None:
        km = WarmKernelManager(
            root_dir=str(tmp_path),
            connection_dir=str(tmp_path),
            warm_code=WARM_CODE,
            fill_delay=0,
            **traits,
        )
        try:
            await test(km)
        finally:
            await km.shutdown_all(now=True)

    asyncio.run(main())


def test_the_page_after_the_first_takes_a_warm_kernel_with_its_own_request(
    tmp_path: Path,
) -> None:
    async def check(km: WarmKernelManager) -> None:
        notebook = await km.start_kernel(kernel_name="python3", path="", env=dict(os.environ))
        await asyncio.sleep(0.5)
        assert km.warm_kernel_ids() == set()  # a notebook's kernel starts no pool
        first = await km.start_kernel(
            kernel_name="python3", path="", env=page_env("id=1", ONLY_FIRST="1")
        )
        await until(lambda: len(km.warm_kernel_ids()) == 1)
        (warm,) = km.warm_kernel_ids()
        listed = {k["id"] for k in km.list_kernels()}
        assert listed == {notebook, first}  # the waiting warm kernel is not the user's
        assert km.pool_memory() > 10 * 1024 * 1024
        second = await km.start_kernel(kernel_name="python3", path="", env=page_env("id=2"))
        assert second == warm and warm not in km.warm_kernel_ids()
        # Pages' kernels answer Voila's client without its fixed wait; notebooks' keep theirs.
        assert km.get_kernel(first).client_factory is PageKernelClient
        assert km.get_kernel(second).client_factory is PageKernelClient
        assert km.get_kernel(notebook).client_factory is not PageKernelClient
        # environment_of waits with the page client, then reads the kernel's printed output:
        # ready means the output channel is connected.
        assert await environment_of(
            km, second, "QUERY_STRING", "ONLY_FIRST", "IMPULATOR_WARMED"
        ) == [
            "id=2",
            None,
            "yes",
        ]
        await until(lambda: len(km.warm_kernel_ids()) == 1)  # refilled in the background
        assert second in {k["id"] for k in km.list_kernels()}

    run(check, tmp_path, pool_size=1)


def test_no_pool_when_it_is_off_or_over_its_memory(tmp_path: Path) -> None:
    async def check(km: WarmKernelManager) -> None:
        page = await km.start_kernel(kernel_name="python3", path="", env=page_env("id=1"))
        await asyncio.gather(*km._fill_tasks)  # the refill has run to its end
        assert km.warm_kernel_ids() == set()
        assert {k["id"] for k in km.list_kernels()} == {page}  # and started no kernel
        assert km.get_kernel(page).client_factory is PageKernelClient

    run(check, tmp_path, pool_size=0)
    run(check, tmp_path, pool_size=1, pool_memory_mb=1)


def test_pages_keep_jupyter_clients_own_wait_when_asked(tmp_path: Path) -> None:
    async def check(km: WarmKernelManager) -> None:
        page = await km.start_kernel(kernel_name="python3", path="", env=page_env("id=1"))
        assert km.get_kernel(page).client_factory is not PageKernelClient
        assert await environment_of(km, page, "QUERY_STRING") == ["id=1"]

    run(check, tmp_path, pool_size=0, page_client=False)


def test_users_servers_and_standalone_voila_are_configured_with_it() -> None:
    etc = Path(__file__).resolve().parents[2] / "etc" / "jupyter"
    server = json.loads((etc / "jupyter_server_config.d" / "impulator-voila.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"] == {"impulator.hub": True}
    voila = json.loads((etc / "voila.json").read_text())
    assert import_item(voila["VoilaConfiguration"]["multi_kernel_manager_class"]) is (
        WarmKernelManager
    )
    # The extension picks the kernel manager while the server links it, unless an
    # administrator configured one.
    default = SimpleNamespace(config=Config(), kernel_manager_class=None)
    hub._link_jupyter_server_extension(default)
    assert default.kernel_manager_class is WarmKernelManager
    chosen = Config()
    chosen.ServerApp.kernel_manager_class = "some.Manager"
    configured = SimpleNamespace(config=chosen, kernel_manager_class="some.Manager")
    hub._link_jupyter_server_extension(configured)
    assert configured.kernel_manager_class == "some.Manager"
    assert hub._jupyter_server_extension_points() == [{"module": "impulator.hub"}]


def test_the_hub_may_give_viewers_a_smaller_pool() -> None:
    hook = make_pre_spawn_hook({"IMPULATOR_VIEWER_PAGE_POOL_SIZE": "0"})
    for group, expected in (("impulator-viewers", "0"), ("impulator-chemists", None)):
        user = SimpleNamespace(name="someone", groups=[SimpleNamespace(name=group)])
        spawner = SimpleNamespace(
            user=user, environment={}, default_url="", log=logging.getLogger("test")
        )
        asyncio.run(hook(spawner))
        assert spawner.environment.get("IMPULATOR_PAGE_POOL_SIZE") == expected
