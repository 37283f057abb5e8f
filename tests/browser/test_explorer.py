"""The Explorer dashboard in Chromium: paging, the class filter, text search, a CSV export of
two selected compounds, and a viewer who gets no share or delete buttons."""

from __future__ import annotations

import io
import itertools
import re
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from rdkit import Chem
from sqlalchemy.pool import NullPool

from impulator import store
from tests.browser.fixtures import SHARING_GROUP, BrowserSession, Dashboards
from tests.store.reports import reports

PREFIX = "explorer-"
MINE, BOBS = 26, 6


@pytest.fixture(scope="module")
def seeded(dashboards: Dashboards, demo_dir: Path) -> dict[str, list[int]]:
    """26 compounds of chemist's, 6 of bob's shared with med-chem; every third one of
    chemist's made a Strong IMP (as if scored so)."""
    demo = [r for key, r in reports(demo_dir).items() if key != "nothing"]
    cycle = itertools.cycle(demo)
    urls = dashboards.user_urls
    mine = [
        store.save(next(cycle), f"{PREFIX}{i:02d}", "keep", url=urls["chemist"])
        for i in range(MINE)
    ]
    bobs = [
        store.save(next(cycle), f"{PREFIX}bob-{i}", "keep", url=urls["bob"]) for i in range(BOBS)
    ]
    for compound_id in bobs:
        store.share(compound_id, SHARING_GROUP, url=urls["bob"])
    strong = mine[::3]
    engine = sa.create_engine(dashboards.admin_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE compounds SET best_class = 'Strong IMP' WHERE id = ANY(:ids)"),
            {"ids": strong},
        )
    engine.dispose()
    return {"mine": mine, "bobs": bobs, "strong": strong}


def _info(page: object) -> str:
    return str(page.page.inner_text(".impulator-explorer-page-info"))  # type: ignore[attr-defined]


def test_page_filter_search_select_and_export(
    dashboards: Dashboards, browser: BrowserSession, seeded: dict[str, list[int]]
) -> None:
    from playwright.sync_api import expect

    started = time.monotonic()
    page = browser.open(dashboards.url("Explorer"))
    page.wait(".impulator-explorer-row-cells svg")
    print(f"\nExplorer: first render {time.monotonic() - started:.1f} s")
    p = page.page
    info = p.locator(".impulator-explorer-page-info")
    search = p.locator(".impulator-explorer-search input")
    search.fill(PREFIX)
    search.press("Enter")
    total = MINE + BOBS
    expect(info).to_have_text(f"page 1 of 2 ({total} compounds)", timeout=60_000)
    assert p.locator(".impulator-explorer-row").count() == 25
    owners = p.inner_text(".impulator-explorer-rows")
    assert "bob" in owners and "chemist" in owners  # shared with chemist's group
    page.screenshot("explorer")

    p.locator("button.impulator-explorer-next").click()
    expect(info).to_have_text(f"page 2 of 2 ({total} compounds)", timeout=60_000)
    assert p.locator(".impulator-explorer-row").count() == total - 25
    p.locator("button.impulator-explorer-previous").click()
    expect(info).to_contain_text("page 1 of 2", timeout=60_000)

    p.locator(".impulator-explorer-class select").select_option("Strong IMP")
    strong = len(seeded["strong"])
    expect(info).to_have_text(f"page 1 of 1 ({strong} compounds)", timeout=60_000)
    assert p.locator(".impulator-explorer-row").count() == strong
    assert p.locator(
        ".impulator-explorer-rows .impulator-badge", has_text="Strong IMP"
    ).count() == (strong)

    search.fill(f"{PREFIX}bob-3")
    search.press("Enter")
    expect(info).to_have_text("page 0 of 0 (0 compounds)", timeout=60_000)
    assert "No compound matches" in p.inner_text(".impulator-explorer-rows")
    p.locator(".impulator-explorer-class select").select_option("Any class")
    expect(info).to_have_text("page 1 of 1 (1 compound)", timeout=60_000)
    assert f"{PREFIX}bob-3" in p.inner_text(".impulator-explorer-rows")

    search.fill(PREFIX)
    search.press("Enter")
    expect(info).to_contain_text(f"({total} compounds)", timeout=60_000)
    boxes = p.locator(".impulator-explorer-select input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    expect(p.locator(".impulator-explorer-selection-info")).to_have_text("2 selected")
    links = p.locator(".impulator-explorer-rows a.impulator-explorer-link")
    chosen = {int(re.sub(r".*id=", "", str(links.nth(i).get_attribute("href")))) for i in range(2)}
    with p.expect_download(timeout=120_000) as download:
        p.locator("button.impulator-export-csv").click()
    path = download.value.path()
    assert path is not None
    exported = pd.read_csv(io.BytesIO(Path(path).read_bytes()), encoding="utf-8-sig")
    assert set(exported["compound_id"]) == chosen
    assert exported["compound_name"].str.startswith(PREFIX).all()
    # The SDF reads back in RDKit with its properties; the workbook opens with both sheets.
    with p.expect_download(timeout=120_000) as download:
        p.locator("button.impulator-export-sdf").click()
    sdf = str(download.value.path())
    records = [m for m in Chem.ForwardSDMolSupplier(sdf) if m is not None]
    assert len(records) == 2
    assert all(m.GetProp("name").startswith(PREFIX) for m in records)
    with p.expect_download(timeout=120_000) as download:
        p.locator("button.impulator-export-excel").click()
    sheets = pd.read_excel(str(download.value.path()), sheet_name=None)
    assert set(sheets) == {"Compounds", "Activities"}
    assert len(sheets["Compounds"]) == 2
    assert p.locator("button.impulator-explorer-share").count() == 1
    assert p.locator("button.impulator-explorer-delete").count() == 1
    page.screenshot("explorer-selected")
    page.assert_clean()


def test_a_viewer_sees_no_share_or_delete_buttons(
    dashboards: Dashboards, browser: BrowserSession, seeded: dict[str, list[int]]
) -> None:
    page = browser.open(dashboards.url("Explorer", user="viewer"))
    page.wait(".impulator-explorer-row-cells")
    p = page.page
    assert "bob" in p.inner_text(".impulator-explorer-rows")  # shared with the viewer's group
    assert p.locator(".impulator-explorer-share").count() == 0
    assert p.locator(".impulator-explorer-delete").count() == 0
    assert "Read-only (viewer)" in p.inner_text(".impulator-explorer-read-only")
    assert p.locator("button.impulator-export-csv").count() == 1  # a viewer may export
    page.screenshot("explorer-viewer")
    page.assert_clean()
