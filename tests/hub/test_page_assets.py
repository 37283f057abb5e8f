"""plotly's widget code served as a file to the pages (``impulator.hub.serve_plotly_widget``)
and the planes' figures that import it (``impulator.ui._planes.figure_widget``); impulator's
``etc/jupyter/voila.py`` sets it all up for standalone Voila and users' servers."""

from __future__ import annotations

import os
from pathlib import Path

import plotly
import pytest
from traitlets.config import Config, PyFileConfigLoader

from impulator.hub import serve_plotly_widget, share_compiled_templates, trim_page_extensions
from impulator.hub._page_assets import PLOTLY_WIDGET_ENV
from impulator.ui import _planes

ETC = Path(__file__).resolve().parents[2] / "etc" / "jupyter"


def unset_plotly_widget(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``IMPULATOR_PLOTLY_WIDGET`` now, and none after the test (what the code under test
    sets is undone too: ``delenv`` alone records nothing when the name is absent)."""
    monkeypatch.setenv(PLOTLY_WIDGET_ENV, "")
    monkeypatch.delenv(PLOTLY_WIDGET_ENV)


def test_voila_serves_plotlys_bundle_and_tells_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    unset_plotly_widget(monkeypatch)
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
    unset_plotly_widget(monkeypatch)
    config = PyFileConfigLoader("voila.py", path=str(ETC)).load_config()
    assert config.VoilaConfiguration.page_config_hook is trim_page_extensions
    assert config.VoilaConfiguration.extra_labextensions_path  # plotly's bundle served
    share_compiled_templates()  # what voila.py ran: installed once, idempotent
