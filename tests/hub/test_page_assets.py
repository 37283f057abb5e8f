"""plotly's widget code and NGL's viewer served as files to the pages
(``impulator.hub.serve_plotly_widget``, ``serve_ngl_viewer``), the planes' figures and the 3D
view that import them (``impulator.ui._planes.figure_widget``,
``impulator.ui._structure_view.structure_3d_view``); impulator's ``etc/jupyter/voila.py`` sets
it all up for standalone Voila and users' servers."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import plotly
import pytest
from traitlets.config import Config, PyFileConfigLoader

from impulator import hub
from impulator.hub import (
    cache_extension_files,
    serve_ngl_viewer,
    serve_plotly_widget,
    share_compiled_templates,
    trim_page_extensions,
)
from impulator.hub._page_assets import NGL_VERSION, NGL_VIEWER_ENV, PLOTLY_WIDGET_ENV
from impulator.ui import _planes, _served
from impulator.ui._structure_view import structure_3d_view

ETC = Path(__file__).resolve().parents[2] / "etc" / "jupyter"


def unset_served_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``IMPULATOR_PLOTLY_WIDGET`` nor ``IMPULATOR_NGL_VIEWER`` now, and none after the test
    (what the code under test sets is undone too: ``delenv`` alone records nothing when the
    name is absent)."""
    for name in (PLOTLY_WIDGET_ENV, NGL_VIEWER_ENV):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def test_voila_serves_plotlys_bundle_and_tells_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    unset_served_files(monkeypatch)
    c = Config()
    address = serve_plotly_widget(c)
    assert address == f"labextensions/widgetbundle.js?v={plotly.__version__}"
    (folder,) = c.VoilaConfiguration.extra_labextensions_path
    assert (Path(folder) / "widgetbundle.js").stat().st_size > 1_000_000
    assert not (Path(folder) / "package.json").exists()  # a folder of files, no extension
    assert serve_plotly_widget(c) == address  # again: the folder is not added twice
    assert c.VoilaConfiguration.extra_labextensions_path == [folder]
    assert os.environ[PLOTLY_WIDGET_ENV] == address
    assert _planes.PLOTLY_WIDGET_ENV == PLOTLY_WIDGET_ENV  # the name the pages read
    monkeypatch.setenv(PLOTLY_WIDGET_ENV, "")  # off
    assert serve_plotly_widget(Config()) is None and os.environ[PLOTLY_WIDGET_ENV] == ""


def test_figures_import_the_served_bundle_only_on_voila_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PLOTLY_WIDGET_ENV, "labextensions/widgetbundle.js?v=1")
    monkeypatch.delenv("VOILA_REQUEST_URL", raising=False)
    # plotly's lazy modules give FigureWidget two class objects: compared by name.
    assert type(_planes.figure_widget()).__name__ == "FigureWidget"  # JupyterLab: plotly's
    monkeypatch.setenv("VOILA_REQUEST_URL", "http://127.0.0.1/voila/render/Compound.ipynb")
    figure = _planes.figure_widget(layout={"height": 300})
    assert type(figure).__name__ == "ServedFigureWidget" and figure.layout.height == 300
    assert "labextensions/widgetbundle.js?v=1" in figure._esm and len(figure._esm) < 1000
    assert "document.body.dataset.baseUrl" in figure._esm  # Voila's address, on the page
    monkeypatch.delenv(PLOTLY_WIDGET_ENV)
    assert type(_planes.figure_widget()).__name__ == "FigureWidget"  # no file served


def test_impulators_voila_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    unset_served_files(monkeypatch)
    config = PyFileConfigLoader("voila.py", path=str(ETC)).load_config()
    assert config.VoilaConfiguration.page_config_hook is trim_page_extensions
    plotly_folder, ngl_folder = config.VoilaConfiguration.extra_labextensions_path
    assert (Path(plotly_folder) / "widgetbundle.js").is_file()
    assert (Path(ngl_folder) / "ngl.js").is_file()
    assert os.environ[NGL_VIEWER_ENV] == f"labextensions/ngl.js?v={NGL_VERSION}"
    # Browsers keep the extensions' files: standalone Voila's Tornado settings.
    assert config.Voila.tornado_settings["static_immutable_cache"] == ["/voila/labextensions/"]
    share_compiled_templates()  # what voila.py ran: installed once, idempotent


def test_voila_serves_ngl_and_tells_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    unset_served_files(monkeypatch)
    c = Config()
    address = serve_ngl_viewer(c)
    assert address == f"labextensions/ngl.js?v={NGL_VERSION}"
    (folder,) = c.VoilaConfiguration.extra_labextensions_path
    ngl = (Path(folder) / "ngl.js").read_text()
    # NGL's self-contained build (no module it needs from elsewhere), its licence beside it.
    assert len(ngl) > 1_000_000 and 'require("three")' not in ngl
    assert "MIT License" in (Path(folder) / "ngl.LICENSE").read_text()
    assert not (Path(folder) / "package.json").exists()
    assert os.environ[NGL_VIEWER_ENV] == address == os.environ[_served.NGL_VIEWER_ENV]
    assert (_served.PLOTLY_WIDGET_ENV, _served.NGL_VIEWER_ENV) == (
        PLOTLY_WIDGET_ENV,
        NGL_VIEWER_ENV,
    )
    monkeypatch.setenv(NGL_VIEWER_ENV, "")  # off
    assert serve_ngl_viewer(Config()) is None and os.environ[NGL_VIEWER_ENV] == ""


def test_a_served_file_replaces_its_extension_on_every_dashboard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unset_served_files(monkeypatch)
    names = ("jupyterlab-plotly", "nglview-js-widgets", "anywidget", "light")
    config = {"federated_extensions": [{"name": name} for name in names]}

    def kept(page: str) -> set[str]:
        trimmed = trim_page_extensions(config, notebook_path=f"dashboards/{page}.ipynb")
        return {e["name"] for e in trimmed["federated_extensions"]}

    assert kept("Structure") == {"nglview-js-widgets", "anywidget", "light"}
    assert kept("Analytics") == {"jupyterlab-plotly", "anywidget", "light"}
    monkeypatch.setenv(NGL_VIEWER_ENV, "labextensions/ngl.js?v=1")
    monkeypatch.setenv(PLOTLY_WIDGET_ENV, "labextensions/widgetbundle.js?v=1")
    assert kept("Structure") == kept("Analytics") == {"anywidget", "light"}
    assert kept("Jobs") == {"light"}


def test_the_3d_view_imports_the_served_ngl_only_on_voila_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(NGL_VIEWER_ENV, "labextensions/ngl.js?v=1")
    monkeypatch.delenv("VOILA_REQUEST_URL", raising=False)
    assert type(structure_3d_view("CCO")).__name__ == "NGLWidget"  # JupyterLab: nglview's
    monkeypatch.setenv("VOILA_REQUEST_URL", "http://127.0.0.1/voila/render/Structure.ipynb")
    view = structure_3d_view("c1ccccc1O", height=400)
    assert type(view).__name__ == "MoleculeViewer"
    assert "impulator-compound-3d-viewer" in view._dom_classes
    assert view.layout.height == "400px"
    # A molfile of the conformer: 13 atoms with hydrogens, in 3D.
    counts = view.molblock.splitlines()[3]
    assert int(counts[:3]) == 13 and "V2000" in counts
    assert "labextensions/ngl.js?v=1" in view._esm and "new NGL.Stage" in view._esm
    assert len(view._esm) < 3000  # the address, not NGL's code
    assert type(structure_3d_view(None)).__name__ == "HTML"  # nothing to draw: a sentence
    monkeypatch.delenv(NGL_VIEWER_ENV)
    assert type(structure_3d_view("CCO")).__name__ == "NGLWidget"


def test_a_users_server_lets_browsers_keep_the_extensions_files() -> None:
    server = SimpleNamespace(web_app=SimpleNamespace(settings={}), base_url="/user/ada/")
    hub._load_jupyter_server_extension(server)  # impulator's server extension
    assert server.web_app.settings["static_immutable_cache"] == ["/user/ada/voila/labextensions/"]
    assert cache_extension_files(server.web_app.settings, "/user/ada/") == [
        "/user/ada/voila/labextensions/"  # once
    ]
