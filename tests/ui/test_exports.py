"""The export panel: its buttons, the download link a click produces (a data URL that decodes
to a file that parses), the busy state, and errors in words next to the buttons."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rdkit import Chem

from impulator import exports
from impulator.pipeline import Report
from impulator.ui import export_panel
from impulator.ui._exports import ExportPanel, download_html
from tests.store.reports import reports
from tests.ui.widgets import find, one, save_reports

KINDS = ("csv", "prototype", "sdf", "excel", "pdf")
_LINK = re.compile(
    r'<a class="impulator-export-download" download="([^"]+)" href="data:([^;]+);base64,([^"]+)"'
)


@pytest.fixture(scope="module")
def saved(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, int]]:
    demo: dict[str, Report] = reports(demo_dir)
    url = f"sqlite:///{tmp_path_factory.mktemp('panel') / 'impulator.sqlite'}"
    ids = save_reports(demo, ("naltrexone", "dasatinib"), url)
    return url, ids


def _download(panel: Any) -> tuple[str, str, bytes]:
    """(file name, MIME type, bytes) of the panel's download link."""
    link = one(panel, "impulator-export-link").value
    found = _LINK.search(link)
    assert found, link
    name, mime, payload = found.groups()
    return html.unescape(name), mime, base64.b64decode(payload, validate=True)


def test_the_panel_has_a_button_per_format(saved: tuple[str, dict[str, int]]) -> None:
    url, ids = saved
    panel = export_panel(lambda: list(ids.values()), url)
    assert "impulator-export-panel" in panel._dom_classes
    for kind in KINDS:
        one(panel, f"impulator-export-{kind}")
    # Two compounds selected: no PDF report; one selected, or single=True: a PDF report.
    assert one(panel, "impulator-export-pdf").layout.display == "none"
    assert one(panel, "impulator-export-csv").layout.display is None
    selected = export_panel(lambda: [ids["dasatinib"]], url)
    assert one(selected, "impulator-export-pdf").layout.display is None
    single = export_panel(lambda: [], url, single=True)
    assert one(single, "impulator-export-pdf").layout.display is None


def test_the_pdf_button_follows_the_selection(saved: tuple[str, dict[str, int]]) -> None:
    url, ids = saved
    selection = [ids["dasatinib"], ids["naltrexone"]]
    panel = export_panel(lambda: selection, url)
    pdf = one(panel, "impulator-export-pdf")
    assert pdf.layout.display == "none"
    selection.pop()
    panel.refresh()
    assert pdf.layout.display is None


@pytest.mark.parametrize("kind", KINDS)
def test_a_click_offers_a_file_that_parses(saved: tuple[str, dict[str, int]], kind: str) -> None:
    url, ids = saved
    chosen = [ids["dasatinib"]] if kind == "pdf" else [ids["naltrexone"], ids["dasatinib"]]
    panel = export_panel(lambda: chosen, url)
    one(panel, f"impulator-export-{kind}").click()
    status = one(panel, "impulator-export-status").value
    assert "impulator-status-ok" in status, status
    assert one(panel, "impulator-export-busy").layout.display == "none"
    assert not any(b.disabled for b in find(panel, "impulator-export-button"))
    name, mime, data = _download(panel)
    assert mime == exports.FORMATS[kind].mime
    assert name.endswith("." + exports.FORMATS[kind].extension)
    if kind == "pdf":
        assert name == f"impulator-compound-{ids['dasatinib']}.pdf"
        assert data.startswith(b"%PDF")
    else:
        assert re.fullmatch(r"impulator-compounds(-prototype)?-\d{8}-\d{4}\.\w+", name), name
    if kind in ("csv", "prototype"):
        table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
        assert len(table) == 13 + 2
        assert ("SEI" if kind == "prototype" else "sei") in table.columns
    elif kind == "sdf":
        mols = list(Chem.ForwardSDMolSupplier(io.BytesIO(data)))
        assert [m.GetProp("_Name") for m in mols] == ["NALTREXONE", "DASATINIB"]
    elif kind == "excel":
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None)
        assert list(sheets) == ["Compounds", "Activities"]
        assert len(sheets["Activities"]) == 15
    # The link is followed by itself once: an image whose onload clicks it.
    link = one(panel, "impulator-export-link").value
    assert "onload=" in link and "a.click()" in html.unescape(link)


def test_the_link_alone_is_a_valid_download() -> None:
    text = download_html('a "b".csv', "text/csv", "µ,Å\n".encode(), auto=False)
    assert "<img" not in text and "onload" not in text
    found = _LINK.search(text)
    assert found is not None
    assert html.unescape(found.group(1)) == 'a "b".csv'
    assert base64.b64decode(found.group(3)).decode() == "µ,Å\n"


def test_errors_are_said_next_to_the_buttons(saved: tuple[str, dict[str, int]]) -> None:
    url, ids = saved
    empty = ExportPanel(lambda: [], url)
    empty.buttons["csv"].click()
    assert "Nothing to export: select at least one compound." in empty.status.value
    assert "impulator-status-error" in empty.status.value and empty.link.value == ""

    missing = ExportPanel(lambda: [ids["dasatinib"], 987654], url)
    assert missing.export("sdf") is None
    assert "Cannot export: no compound 987654" in missing.status.value

    several = ExportPanel(lambda: list(ids.values()), url)
    several.buttons["pdf"].click()  # hidden, but a page may still call it
    assert "select exactly one" in several.status.value

    def broken() -> list[int]:
        raise RuntimeError("the selection is gone")

    failing = ExportPanel(broken, url)
    failing.buttons["excel"].click()  # never raises out of the callback
    assert "the selection is gone" in failing.status.value
    assert not failing.buttons["excel"].disabled


def test_an_unreachable_database_is_a_sentence() -> None:
    panel = ExportPanel(lambda: [1], "postgresql+psycopg://nobody@127.0.0.1:1/impulator")
    assert panel.export("csv") is None
    assert "The results database is unavailable" in panel.status.value


def test_a_second_export_replaces_the_first_link(saved: tuple[str, dict[str, int]]) -> None:
    url, ids = saved
    panel = ExportPanel(lambda: [ids["dasatinib"]], url)
    first = panel.export("csv")
    second = panel.export("sdf")
    assert first is not None and second is not None
    assert _download(panel.widget)[0] == second.name
    tokens = re.findall(r'data-token="([^"]+)"', panel.link.value)
    assert len(tokens) == 1 and tokens[0].endswith("-2")
