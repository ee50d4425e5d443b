"""`bizops report` in a real browser: headless Chromium opens the file offline and Plotly
draws every chart (`make test` installs Debian's chromium first: `make browser`)."""

from __future__ import annotations

import os
import time

import pytest

from tests.orchestrator.metric_world import MetricWorld, metric_world
from tests.orchestrator.test_report import read_page, run_report
from tests.report_screenshot import CHROMIUM, shoot

__all__ = ["metric_world"]  # the fixture, imported for pytest


def test_every_chart_renders_offline(metric_world: MetricWorld) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs it (make test does)")
    assert run_report(metric_world, "--out", "report.html").returncode == 0
    _, _, figures = read_page(metric_world.root / "report.html")
    png = metric_world.root / "report.png"
    started = time.monotonic()
    rendered = shoot(metric_world.root / "report.html", png, full_page=True)
    seconds = time.monotonic() - started
    assert (rendered.containers, rendered.plots) == (len(figures), len(figures)) == (15, 15)
    assert rendered.svgs >= 2 * len(figures)  # Plotly's layers: the plot and its overlay
    assert rendered.marks >= 100  # bars, points, lines, funnel boxes actually drawn
    assert (rendered.requests, rendered.errors) == ((), ())  # nothing fetched, no JS error
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 100_000
    assert seconds < 60  # (about 7 s on two shared cores)
