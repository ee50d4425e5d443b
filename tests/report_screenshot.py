"""Open a `bizops report` page in headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright; `make browser` installs it), wait for Plotly to draw every chart, screenshot it.

Used by tests/orchestrator/test_report_browser.py and by `make screenshot`:
``python tests/report_screenshot.py report.html docs/report.png``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
# Every drawn chart: Plotly marks its div .js-plotly-plot and puts its SVG layers in .main-svg.
COUNT = """() => ({
  containers: document.querySelectorAll('.chart').length,
  plots: document.querySelectorAll('.chart.js-plotly-plot').length,
  svgs: document.querySelectorAll('.chart.js-plotly-plot svg.main-svg').length,
  marks: document.querySelectorAll(
    '.chart .trace path.point, .chart .trace .js-line, .chart .trace path.js-fill, '
    + '.chart g.funnel path, .chart g.bars path').length,
})"""


@dataclass(frozen=True)
class Rendered:
    """What the browser drew: chart containers, Plotly plots in them, their SVG layers, the
    data marks (bars, points, lines), and every request that left the file."""

    containers: int
    plots: int
    svgs: int
    marks: int
    requests: tuple[str, ...]
    errors: tuple[str, ...]


def shoot(page_path: Path, png: Path, full_page: bool = False) -> Rendered:
    """Render ``page_path`` at 1300x1500 and save a screenshot (the top of the page unless
    ``full_page``); network access is blocked and any attempt is reported."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1500})
            requests: list[str] = []
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))

            def block(route: Any) -> None:  # playwright's Route
                requests.append(route.request.url)
                route.abort()

            page.route("http://*/**", block)
            page.route("https://*/**", block)
            page.goto(page_path.resolve().as_uri())
            page.wait_for_function(
                "document.querySelectorAll('.chart').length === "
                "document.querySelectorAll('.chart.js-plotly-plot').length",
                timeout=30_000,
            )
            counts = page.evaluate(COUNT)
            png.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(png), full_page=full_page)
        finally:
            browser.close()
    return Rendered(**counts, requests=tuple(requests), errors=tuple(errors))


if __name__ == "__main__":
    result = shoot(Path(sys.argv[1]), Path(sys.argv[2]))
    sys.stderr.write(f"{sys.argv[2]}: {result}\n")
    sys.exit(0 if result.plots and result.plots == result.containers else 1)
