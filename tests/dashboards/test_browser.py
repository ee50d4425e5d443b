"""Every dashboard in a real browser: headless Chromium (Debian's, driven by Playwright) logs in,
opens each dashboard, waits for all its charts, screenshots it and reads each big number, which
must equal the metric marts. The screenshots go to a temporary folder; with
BIZOPS_UPDATE_SCREENSHOTS=1 into docs/dashboards/ (the README shows them), so a test run leaves
the work tree unchanged."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bizops import dashboard_bundle
from tests.dashboards import marts
from tests.dashboards.conftest import ADMIN, REPO, Served

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SHOTS = (
    REPO / "docs" / "dashboards"
    if os.environ.get("BIZOPS_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="bizops-dashboard-shots-"))
)
TIMEOUT = 120_000  # ms for a dashboard's charts (the first queries warm Superset up)
TIMINGS: dict[str, float] = {}


def shown(value: Decimal, fmt: str) -> str:
    """``value`` as the dashboard's d3 format shows it (see dashboard_bundle.FORMATS)."""
    return {
        "usd": lambda v: f"${v:,.2f}",
        "count": lambda v: f"{int(v):,}",
        "ratio": lambda v: f"{v * 100:.1f}%",
        "multiple": lambda v: f"{v:,.2f}",
        "days": lambda v: f"{v:,.1f}",
    }[fmt](value)


def latest_complete(metric: str, grain: str) -> Decimal:
    rows = [r for r in marts.rows() if (r["metric"], r["grain"], r["dimension"]) ==
            (metric, grain, "total") and r["period_end"] <= marts.LAST_DAY]  # fmt: skip
    return Decimal(max(rows, key=lambda r: r["period_end"])["value"])


@pytest.fixture(scope="module")
def page(served: Served) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    began = time.monotonic()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.goto(f"{served.base}/login/")
        tab.fill("#username", ADMIN[0])
        tab.fill("#password", ADMIN[1])
        tab.keyboard.press("Enter")
        tab.wait_for_url("**/superset/welcome/**", timeout=TIMEOUT)
        TIMINGS["login"] = time.monotonic() - began
        yield tab
        browser.close()


@pytest.mark.parametrize("board", dashboard_bundle.load(), ids=lambda b: b.slug)
def test_each_dashboard_renders_every_chart_and_its_big_numbers_equal_the_marts(
    served: Served, page, board: dashboard_bundle.Dashboard
) -> None:
    began = time.monotonic()
    page.goto(f"{served.base}/superset/dashboard/{board.slug}/")
    charts = page.locator("[data-test=chart-container]")
    # every chart drew: a big number's text, or an ECharts canvas; no spinner, no error left
    page.wait_for_function(
        """n => document.querySelectorAll('[data-test=chart-container]').length === n
            && [...document.querySelectorAll('[data-test=chart-container]')].every(
                c => c.querySelector('.header-line, canvas'))
            && !document.querySelector('.loading, [role=alert]')""",
        arg=len(board.charts),
        timeout=TIMEOUT,
    )
    page.wait_for_timeout(1500)  # the charts' entry animations, for the screenshot
    TIMINGS[board.slug] = time.monotonic() - began
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{board.slug}.png"), full_page=True)
    assert charts.count() == len(board.charts)
    big = [c for c in board.charts if c.type == "big_number"]
    expected = [shown(latest_complete(c.metrics[0], c.grain), c.format) for c in big]
    assert page.locator(".header-line").all_inner_texts() == expected


def test_the_executive_arr_is_the_fy2025_q3_value(served: Served, page) -> None:
    page.goto(f"{served.base}/superset/dashboard/executive/")
    holder = page.locator(
        "[data-test=dashboard-component-chart-holder]", has_text="ARR (latest complete quarter)"
    )
    number = holder.locator(".header-line")
    number.wait_for(timeout=TIMEOUT)
    assert number.inner_text() == "$12,345,678.99"  # metric_values: arr, quarter, FY2025-Q3
