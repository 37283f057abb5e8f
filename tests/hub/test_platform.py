"""The platform as its users meet it: one local platform (``hub/launch.py up``) for the
module, real logins through the form, real servers, kernels, Voila, the Dask Gateway and the
runner.

Users: ``chemist`` plays Alice; ``instructor`` plays Bob (another writer, sharing a group
with Alice but shown nothing she did not share); ``viewer`` reads only. Timings are printed
(``pytest -s``) and recorded as test properties.
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import DASATINIB
from tests.hub.platform import (
    VOILA_HOME,
    Kernel,
    admin_database_url,
    browser_login,
    browser_page,
    down,
    hub_xsrf,
    launcher_environment,
    login,
    ours,
    requires_platform,
    server_environment,
    spawn_and_wait,
    token_for,
    up,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = requires_platform
ALICE_COMPOUND = f"alice-private-{uuid.uuid4().hex[:8]}"
BATCH = [
    "CC(=O)Oc1ccccc1C(=O)O",
    "CN1CCC[C@H]1c1cccnc1",
    "Cn1cnc2c1c(=O)n(C)c(=O)n2C",
    "not a molecule",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1",
]
TIMINGS: dict[str, float] = {}


@dataclass
class Platform:
    env: dict[str, str]
    home: Path
    base: str

    @contextlib.contextmanager
    def session(self, user: str) -> Iterator[tuple[httpx.Client, httpx.Response, float]]:
        """``user`` logged in through the form with a running server: (client, landing page,
        seconds from login to the landing page)."""
        with httpx.Client(base_url=self.base, timeout=60) as client:
            login(client, user)
            started = time.monotonic()
            page = spawn_and_wait(client, user)
            yield client, page, time.monotonic() - started

    def kernel(self, client: httpx.Client, user: str) -> Kernel:
        return Kernel(self.base, user, token_for(client, user)).start()

    def voila_home(self, user: str) -> tuple[str, float]:
        """The text of the Voila home as ``user`` sees it in Chromium (Voila sends widget
        values over the kernel's websocket, so only a browser shows them), and the seconds
        from opening it to the recent compounds being drawn."""
        with browser_page() as page:
            browser_login(page, self.base, user)
            started = time.monotonic()
            page.goto(f"{self.base}/user/{user}/{VOILA_HOME}", timeout=180_000)
            page.wait_for_selector(".impulator-recent-compounds", timeout=180_000)
            return page.inner_text("body"), time.monotonic() - started

    def stop_server(self, client: httpx.Client, user: str) -> None:
        headers = {"X-XSRFToken": hub_xsrf(client)}
        response = client.delete(f"/hub/api/users/{user}/server", headers=headers)
        assert response.status_code in (202, 204), response.text[:300]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            model = client.get(f"/hub/api/users/{user}").json()
            if not model.get("servers"):
                return
            time.sleep(0.25)
        pytest.fail(f"{user}'s server did not stop")


@pytest.fixture(scope="module")
def platform(demo_dir: Path) -> Iterator[Platform]:
    with launcher_environment(demo_dir, IMPULATOR_GATEWAY_IDLE_TIMEOUT="300") as env:
        launcher, started = up(env)
        TIMINGS["hub_start_s"] = started
        try:
            yield Platform(env, Path(env["IMPULATOR_HUB_HOME"]), _base(env))
        finally:
            down(env, launcher)
            print("\nplatform timings: " + ", ".join(f"{k} {v:.1f}" for k, v in TIMINGS.items()))


def _base(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['IMPULATOR_HUB_PORT']}"


def _database(platform: Platform) -> sa.Engine:
    return sa.create_engine(admin_database_url(platform.home))


def test_chemist_analyzes_and_saves_from_a_kernel_and_sees_it_on_the_voila_home(
    platform: Platform, record_property: pytest.RecordProperty
) -> None:
    with platform.session("chemist") as (client, page, ready):
        assert page.url.path == "/user/chemist/lab"  # chemists land on JupyterLab
        kernel = platform.kernel(client, "chemist")
        out = kernel.run(
            "import impulator, impulator.store as store\n"
            f"report = impulator.analyze({DASATINIB!r}, pdb=False)\n"
            f"cid = store.save(report, name={ALICE_COMPOUND!r})\n"
            "print(cid, store.get(cid).name, len(report.rows))\n"
        )
        compound_id, name, rows = out.split()
        assert name == ALICE_COMPOUND and int(rows) > 0
        kernel.shutdown()
    # The dashboards are one click away: in the user's folder, rendered by Voila.
    text, render = platform.voila_home("chemist")
    assert ALICE_COMPOUND in text
    TIMINGS.update(login_to_ready_s=ready, voila_home_render_s=render)
    record_property("login_to_ready_s", round(ready, 1))
    record_property("voila_home_render_s", round(render, 1))
    engine = _database(platform)
    with engine.connect() as conn:
        owner = conn.execute(
            sa.text("SELECT owner FROM compounds WHERE id = :id"), {"id": int(compound_id)}
        ).scalar()
    engine.dispose()
    assert owner == "chemist"


def test_viewer_lands_on_the_voila_home_and_cannot_write(platform: Platform) -> None:
    with platform.session("viewer") as (client, page, _):
        assert page.url.path == f"/user/viewer/{VOILA_HOME}"
        assert "impulator" in page.text
        kernel = platform.kernel(client, "viewer")
        out = kernel.run(
            "import impulator, impulator.store as store\n"
            "report = impulator.analyze('CCO', pdb=False)\n"
            "try:\n"
            "    store.save(report, name='viewer-try')\n"
            "except store.PermissionDenied as exc:\n"
            "    print('refused:', exc)\n"
        )
        kernel.shutdown()
        # The Voila home was the server's first page: a warm kernel now waits for the next
        # one, a kernel process of the viewer's server that its kernel list does not show.
        headers = {"Authorization": f"token {token_for(client, 'viewer')}"}
        deadline = time.monotonic() + 120
        while True:
            listed = client.get("/user/viewer/api/kernels", headers=headers).json()
            waiting = _kernel_ids_of(platform, "viewer") - {k["id"] for k in listed}
            if waiting or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert out.startswith("refused:"), out
    assert "read-only" in out and "viewer" in out and "chemist role" in out
    assert waiting, "no warm kernel for the next Voila page on the viewer's server"


def test_bob_sees_none_of_alices_compounds(platform: Platform) -> None:
    engine = _database(platform)
    with engine.connect() as conn:
        alice_id = conn.execute(
            sa.text("SELECT id FROM compounds WHERE name = :n"), {"n": ALICE_COMPOUND}
        ).scalar()
    engine.dispose()
    assert alice_id is not None, "run with the chemist test first (same module)"
    with platform.session("instructor") as (client, _, _):
        kernel = platform.kernel(client, "instructor")
        out = kernel.run(
            "import json, os, sqlalchemy as sa, impulator.store as store\n"
            "names = store.list_compounds(limit=500).items['name'].tolist()\n"
            "try:\n"
            f"    store.get({alice_id}); seen = True\n"
            "except store.CompoundNotFound:\n"
            "    seen = False\n"
            "engine = sa.create_engine(os.environ['IMPULATOR_DATABASE_URL'])\n"
            "with engine.connect() as conn:\n"
            "    q = lambda sql: conn.execute(sa.text(sql)).scalar()\n"
            "    raw = {\n"
            f"        'compounds': q('SELECT count(*) FROM compounds WHERE id = {alice_id}'),\n"
            "        'rows': q('SELECT count(*) FROM result_rows '\n"
            f"                  'WHERE compound_id = {alice_id}'),\n"
            "        'all_owners': q('SELECT count(DISTINCT owner) FROM compounds "
            "WHERE owner <> current_user'),\n"
            "    }\n"
            "print(json.dumps({'names': names, 'seen': seen, 'raw': raw}))\n"
        )
        kernel.shutdown()
        found = json.loads(out)
    text, _ = platform.voila_home("instructor")
    assert ALICE_COMPOUND not in found["names"]
    assert found["seen"] is False
    assert found["raw"] == {"compounds": 0, "rows": 0, "all_owners": 0}
    assert ALICE_COMPOUND not in text


# A refused connect leaves dask-gateway's own client of that cluster to the garbage collector,
# whose close then fails in dask-gateway 2026.3 (see impulator.batch._executor.close_gateway).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_gateway_clusters_need_the_users_own_token(
    platform: Platform, record_property: pytest.RecordProperty
) -> None:
    from dask_gateway import Gateway, JupyterHubAuth  # type: ignore[import-untyped]

    from impulator.batch._executor import close_gateway

    with platform.session("chemist") as (client, _, _):
        env = server_environment(platform.home, "chemist")
        token = token_for(client, "chemist")
        address, proxy = env["DASK_GATEWAY__ADDRESS"], env["DASK_GATEWAY__PROXY_ADDRESS"]

        def gateway(with_token: str) -> Gateway:
            return Gateway(address, proxy_address=proxy, auth=JupyterHubAuth(with_token))

        alice = gateway(token)
        started = time.monotonic()
        cluster = alice.new_cluster(worker_cores=1, worker_memory=1.0)
        TIMINGS["gateway_cluster_start_s"] = seconds = time.monotonic() - started
        record_property("gateway_cluster_start_s", round(seconds, 1))
        try:
            cluster.scale(1)
            with cluster.get_client() as dask_client:
                assert dask_client.submit(sum, [1, 2]).result(timeout=120) == 3
            # A bogus token is refused.
            bogus = gateway("not-a-token")
            with pytest.raises(Exception, match="Permission failure verifying"):
                bogus.list_clusters()
            close_gateway(bogus)
            # Another user's token cannot reach Alice's cluster.
            with httpx.Client(base_url=platform.base, timeout=60) as bob_client:
                login(bob_client, "instructor")
                bob = gateway(token_for(bob_client, "instructor"))
                assert bob.list_clusters() == []
                with pytest.raises(Exception, match=r"403, message=.Forbidden"):
                    bob.connect(cluster.name)
                close_gateway(bob)
            # A viewer has no access to the gateway at all.
            with httpx.Client(base_url=platform.base, timeout=60) as viewer_client:
                login(viewer_client, "viewer")
                viewer = gateway(token_for(viewer_client, "viewer"))
                with pytest.raises(Exception, match=r"401, message=.Unauthorized"):
                    viewer.list_clusters()
                close_gateway(viewer)
            # Code on the chemist's server reaches the gateway with the server's own
            # settings and token (nothing passed by hand).
            kernel = platform.kernel(client, "chemist")
            out = kernel.run(
                "from dask_gateway import Gateway\n"
                "print(sorted(c.name for c in Gateway().list_clusters()))\n"
            )
            kernel.shutdown()
            assert cluster.name in out
        finally:
            cluster.shutdown()
            close_gateway(getattr(cluster, "_gateway", None))  # the cluster's own client
            close_gateway(alice)
            gc.collect()  # here, where the warning above is expected, not in a later test


def test_a_batch_outlives_the_server_that_submitted_it(platform: Platform) -> None:
    with platform.session("chemist") as (client, _, _):
        kernel = platform.kernel(client, "chemist")
        out = kernel.run(
            f"import impulator\njob = impulator.jobs.submit({BATCH!r}, pdb=False)\nprint(job.id)\n"
        )
        job_id = int(out.strip())
        platform.stop_server(client, "chemist")
    # Nothing of the chemist's runs any more (the server's kernels end with it).
    deadline = time.monotonic() + 30
    while (left := _processes_of(platform, "chemist")) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, left

    engine = _database(platform)
    deadline = time.monotonic() + 300
    status = None
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            status = conn.execute(
                sa.text("SELECT status FROM jobs WHERE id = :id"), {"id": job_id}
            ).scalar()
        if status in ("completed", "failed", "cancelled"):
            break
        time.sleep(1)
    engine.dispose()
    assert status == "completed", status

    with platform.session("chemist") as (client, _, _):
        kernel = platform.kernel(client, "chemist")
        out = kernel.run(
            "import json, impulator\n"
            f"job = impulator.jobs.get({job_id})\n"
            "s = job.status()\n"
            "print(json.dumps({'status': s.status, 'stored': len(job.compound_ids()),\n"
            "                  'errors': job.errors()['row'].tolist()}))\n"
        )
        kernel.shutdown()
    found = json.loads(out)
    assert found == {"status": "completed", "stored": 4, "errors": [4]}


def test_the_idle_culler_and_the_gateway_run_as_hub_services(platform: Platform) -> None:
    commands = []
    for pid in ours(platform.home):
        with contextlib.suppress(OSError):
            commands.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" "))
    joined = b"\n".join(commands).decode(errors="replace")
    assert "jupyterhub_idle_culler" in joined
    assert "dask-gateway-server" in joined
    assert "impulator runner" in joined


def _processes_of(platform: Platform, user: str) -> list[str]:
    found = []
    for pid in ours(platform.home):
        if _user_of(pid) == user:
            with contextlib.suppress(OSError):
                found.append(
                    Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
    return found


def _kernel_ids_of(platform: Platform, user: str) -> set[str]:
    """The ids of the kernels running for ``user`` (from their connection files' names)."""
    found = set()
    for command in _processes_of(platform, user):
        if "ipykernel_launcher" in command:
            found.update(re.findall(r"kernel-([0-9a-f-]{36})\.json", command))
    return found


def _user_of(pid: int) -> str | None:
    with contextlib.suppress(OSError):
        pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        env = dict(p.decode().split("=", 1) for p in pairs if b"=" in p)
        return env.get("JUPYTERHUB_USER")
    return None


@pytest.mark.parametrize(
    ("user", "expected"),
    [("chemist", "as compound"), ("viewer", "read results but not save")],
)
def test_quick_analysis_on_the_voila_home_in_chromium(
    platform: Platform, user: str, expected: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    errors: list[str] = []

    def watch(page: Page) -> None:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on(  # JupyterLab saves its workspace as it is left: not the dashboard's
            "requestfailed",
            lambda r: None if f"/user/{user}/lab/" in r.url else errors.append(f"failed: {r.url}"),
        )

    with browser_page() as page:
        started = time.monotonic()
        if user == "viewer":  # viewers land on the Voila home itself, watched throughout
            watch(page)
            browser_login(page, platform.base, user)
            assert page.url.endswith(VOILA_HOME), page.url
        else:  # chemists land on JupyterLab; the dashboard is one address away
            browser_login(page, platform.base, user)
            page.wait_for_load_state("networkidle", timeout=180_000)
            watch(page)
            started = time.monotonic()
            page.goto(f"{platform.base}/user/{user}/{VOILA_HOME}", timeout=180_000)
        page.wait_for_selector(".impulator-home-tiles", timeout=180_000)
        TIMINGS[f"voila_home_in_chromium_{user}_s"] = time.monotonic() - started
        page.fill(".impulator-quick-input input", DASATINIB)
        page.click(".impulator-quick-run")
        status = page.locator(".impulator-quick-status")
        status.filter(has_text=expected).wait_for(timeout=180_000)
        shots = tmp_path_factory.mktemp("screenshots")
        page.screenshot(path=str(shots / f"voila-home-{user}.png"), full_page=True)
        text = status.inner_text()
    if user == "viewer":
        assert "viewer" in text and "chemist role" in text, text
    else:
        assert "Error" not in text, text
    # Nothing may fail, a CDN link included: the dashboards render offline.
    assert not errors, "\n".join(errors)


def test_a_notebook_published_to_a_group_opens_and_runs_in_a_members_jupyterlab(
    platform: Platform,
) -> None:
    lesson = f"lesson-{uuid.uuid4().hex[:6]}.ipynb"
    with platform.session("instructor") as (client, _, _):
        kernel = platform.kernel(client, "instructor")
        out = kernel.run(
            "import nbformat, impulator\n"
            "from impulator import teach\n"
            "nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(\n"
            "    \"import impulator\\nprint('lesson ran with impulator', impulator.__version__)\"\n"
            ")])\n"
            "nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3',\n"
            "                             'language': 'python'}\n"
            f"nbformat.write(nb, {lesson!r})\n"
            f"print([f.version for f in teach.publish({lesson!r}, 'demo-team')])\n"
        )
        kernel.shutdown()
    assert out.strip() == "[1]", out
    # The member's next spawn brings it into ~/shared/<group>/, byte for byte.
    with httpx.Client(base_url=platform.base, timeout=60) as client:
        login(client, "chemist")
        platform.stop_server(client, "chemist")
    users = platform.home / "users"
    with browser_page() as page:
        browser_login(page, platform.base, "chemist")
        delivered = users / "chemist" / "shared" / "demo-team" / lesson
        assert delivered.read_bytes() == (users / "instructor" / lesson).read_bytes()
        # ... beside the read-only example notebooks the spawn refreshed.
        assert (users / "chemist" / "examples" / "01_quick_start.ipynb").is_file()
        page.goto(
            f"{platform.base}/user/chemist/lab/tree/shared/demo-team/{lesson}", timeout=180_000
        )
        # Keys sent before the kernel's session is connected are lost: wait for it first.
        page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=180_000)
        page.locator(".jp-Notebook .jp-Cell .jp-InputArea-editor").first.click(timeout=180_000)
        page.keyboard.press("Shift+Enter")
        output = page.locator(".jp-OutputArea-output", has_text="lesson ran with impulator")
        output.first.wait_for(timeout=180_000)
