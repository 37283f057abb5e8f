"""Warming a kernel for the pages (``impulator.ui.warm_up_pages``): every page is built for
the user, nothing is left behind (widgets, live updates, comms, connections), and a page built
afterwards is the same as one built without it."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path
from typing import Any

import comm
import ipywidgets
import pytest

from impulator import jobs, store
from impulator.pipeline import analyze
from impulator.sources import ChemblDatabase
from impulator.ui import _planes, _structure_view, show_home, warm_up_pages
from impulator.ui._pagekit import Poller, rehearsal
from impulator.ui._served import NGL_VIEWER_ENV, PLOTLY_WIDGET_ENV


def polling() -> set[threading.Thread]:
    """The live updates (page pollers) running in this process."""
    return {t for t in threading.enumerate() if t.name == "impulator-poll"}


def test_every_page_is_built_and_nothing_is_left_behind(
    url: str, demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo = demo_dir / "demo"
    source = ChemblDatabase(f"sqlite:///{demo / 'chembl_demo.sqlite'}", demo / "chembl_demo.h5")
    report = analyze("CHEMBL19019", source=source, similarity=0.4, pdb=False)
    store.save(report, url=url)  # the Compound page draws a compound
    jobs.submit(["CCO", "CCN"], url=url)  # a queued job: the Jobs page would poll it
    sent: list[str] = []  # the kernel's comms: each would send its widget to the browser

    def kernel_comm(*args: Any, **kwargs: Any) -> comm.DummyComm:
        sent.append(kwargs.get("target_name", ""))
        return comm.DummyComm(*args, **kwargs)

    monkeypatch.setattr(comm, "create_comm", kernel_comm)
    # A warm kernel inherits the served files' addresses; its page's address comes later.
    monkeypatch.setenv(PLOTLY_WIDGET_ENV, "labextensions/widgetbundle.js?v=1")
    monkeypatch.setenv(NGL_VIEWER_ENV, "labextensions/ngl.js?v=1")
    monkeypatch.delenv("VOILA_REQUEST_URL", raising=False)
    _planes._served_figure_widget.cache_clear()
    _structure_view._served_viewer.cache_clear()
    open_before = set(ipywidgets.widgets.widget._instances)
    polling_before = polling()  # earlier tests' pages may still poll
    assert warm_up_pages(url) == [
        "Home",
        "Analyze",
        "Batch",
        "Jobs",
        "Explorer",
        "Analytics",
        "Compound",
        "Structure",
    ]
    # Built as on a Voila page: the plots' and the 3D view's served code was rehearsed.
    assert _planes._served_figure_widget.cache_info().currsize == 1
    assert _structure_view._served_viewer.cache_info().currsize == 1
    assert "VOILA_REQUEST_URL" not in os.environ  # the page's own address is set later
    assert gc.get_freeze_count() > 0  # the stack set aside from the collector
    gc.unfreeze()  # (a warm kernel keeps it so; the test process gives it back)
    assert set(ipywidgets.widgets.widget._instances) <= open_before  # every widget closed
    assert sent == [] and comm.create_comm is kernel_comm  # none sent out of the kernel
    assert polling() <= polling_before  # no live update started
    assert store.engine_for(url).pool.checkedout() == 0
    # The next page is built as usual: its widgets live and talk through the kernel's comms.
    page = show_home(url)
    assert page.model_id in ipywidgets.widgets.widget._instances and sent


def test_an_unreachable_database_skips_the_pages_that_need_it() -> None:
    built = warm_up_pages("postgresql+psycopg://nobody@127.0.0.1:9/none")
    gc.unfreeze()
    assert "Compound" not in built  # it needs the newest compound; the others say why


def test_no_live_update_starts_in_a_rehearsal() -> None:
    ticks: list[int] = []
    with rehearsal():
        poller = Poller(lambda: bool(ticks.append(1)), interval=0.01)  # one tick, then stops
        poller.start()
        assert not poller.running
    poller.start()
    poller.join(5)
    assert ticks == [1]  # outside a rehearsal it polls
