"""The export panel's download link in real Chromium, without a dashboard: the link HTML is
put into a page through ``innerHTML``, as the ipywidgets HTML view does, and Chromium must
download the file by itself (the auto-click) and again when the link is clicked."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from rdkit import Chem

from impulator.ui._exports import download_html

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CSV = "\ufeffcompound_id,name,sei\n1,NALTREXONE,13.1\n2,µ-Å test,8.8\n".encode()
SDF = Chem.MolToMolBlock(Chem.MolFromSmiles("c1ccccc1O")) + "> <name>\nphenol\n\n$$$$\n"


def _put(page: object, markup: str) -> None:
    page.set_content('<html><body><div id="widget"></div></body></html>')  # type: ignore[attr-defined]
    page.evaluate(  # type: ignore[attr-defined]
        "html => { document.getElementById('widget').innerHTML = html; }", markup
    )


def test_the_link_downloads_by_itself_once(chromium: Browser, tmp_path: Path) -> None:
    context = chromium.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
        markup = download_html("impulator-compounds-20260301-0905.csv", "text/csv", CSV, token="t1")
        with page.expect_download(timeout=30_000) as info:
            _put(page, markup)
        download = info.value
        assert download.suggested_filename == "impulator-compounds-20260301-0905.csv"
        target = tmp_path / download.suggested_filename
        download.save_as(target)
        table = pd.read_csv(target, encoding="utf-8-sig")
        assert table["name"].tolist() == ["NALTREXONE", "µ-Å test"]
        # The same link drawn again (a re-rendered widget) does not download twice.
        downloads: list[object] = []
        page.on("download", lambda d: downloads.append(d))
        page.evaluate("html => { document.getElementById('widget').innerHTML = html; }", markup)
        page.wait_for_timeout(500)
        assert downloads == []
        assert not errors, errors
    finally:
        context.close()


def test_the_link_alone_works_when_clicked(chromium: Browser, tmp_path: Path) -> None:
    context = chromium.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        _put(
            page,
            download_html(
                "impulator-compounds.sdf", "chemical/x-mdl-sdfile", SDF.encode(), auto=False
            ),
        )
        with page.expect_download(timeout=30_000) as info:
            page.click("a.impulator-export-download")
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        mols = list(Chem.ForwardSDMolSupplier(io.BytesIO(target.read_bytes())))
        assert len(mols) == 1 and mols[0].GetProp("name") == "phenol"
    finally:
        context.close()
