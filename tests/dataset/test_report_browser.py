"""The report in a real headless Chromium: no console errors, every image decoded, plots visible.

Needs Debian's ``chromium`` (``apt-get install chromium``) and the ``playwright`` Python package
(``pip install 'simgen[browser]'``); Playwright's own browser download is not used. Skipped when
either is missing. Run alone with ``pytest -m browser``.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.dataset.test_report import make_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201 - a playwright Browser
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (simgen[browser])")
    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium binary (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def test_report_renders_in_chromium(browser, handmade: Path, tmp_path: Path) -> None:  # noqa: ANN001
    page_file = tmp_path / "report.html"
    page_file.write_text(make_report(handmade, tmp_path), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    messages: list[str] = []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url[:80]))
    page.goto(page_file.as_uri(), wait_until="load")
    assert messages == [] and failed == []
    images = page.eval_on_selector_all(
        "img", "els => els.map(e => ({ok: e.complete && e.naturalWidth > 0, w: e.naturalWidth, cls: e.className}))"
    )
    assert len(images) >= 20 and all(i["ok"] for i in images), images
    plots = page.query_selector_all("img.plot")
    assert len(plots) >= 6
    for plot in plots:
        plot.scroll_into_view_if_needed()
        shot = np.asarray(Image.open(io.BytesIO(plot.screenshot())).convert("L"), dtype=np.float64)
        assert shot.shape[0] > 50 and shot.shape[1] > 100
        ink = (shot < 200).mean()  # bars, lines and text against the white figure background
        assert 0.005 < ink < 0.9 and shot.std() > 10
    page.close()
