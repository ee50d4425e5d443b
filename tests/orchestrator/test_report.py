"""`bizops report`: one offline HTML file whose charts show metric_values exactly, with the
catalog's targets drawn and a note for every metric that has nothing to draw."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from bizops.report import parse_target
from tests.orchestrator.metric_world import MetricWorld, metric_world, rows, value

__all__ = ["metric_world"]  # the fixture, imported for pytest
BIZOPS = str(Path(sys.executable).parent / "bizops")
PERIODS = ["FY2024-Q4", "FY2025-Q1", "FY2025-Q2", "FY2025-Q3", "FY2025-Q4"]


def run_report(world: MetricWorld, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIZOPS, "report", "-p", str(world.root), *args], capture_output=True, text=True,
        check=False, env={**os.environ, **world.env()}, cwd=world.root,
    )  # fmt: skip


def read_page(path: Path) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The page, its data block, and each drawn chart's Plotly figure by chart key."""
    page = path.read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="bizops-data">(.*?)</script>', page)
    figures = re.findall(
        r'<script type="application/json" class="bizops-figure" data-target="chart-([^"]+)">'
        r"(.*?)</script>", page,
    )  # fmt: skip
    return page, json.loads(data.group(1)), {key: json.loads(body) for key, body in figures}


def trace(figure: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [t for t in figure["data"] if t["name"] == name]
    return found


def floats(metric: str, member: str = "all") -> list[float | None]:
    stored = [value(metric, p, member) for p in PERIODS]
    return [None if v is None else float(v) for v in stored]


@pytest.fixture
def report(metric_world: MetricWorld) -> tuple[str, dict[str, Any], dict[str, Any]]:
    result = run_report(metric_world, "--out", "out/report.html")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert re.fullmatch(
        r"bizops report: wrote out/report\.html \(\d\.\d MB, 15 charts, 4 notes\) in \d+\.\ds\n",
        result.stderr,
    )
    return read_page(metric_world.root / "out" / "report.html")


def test_the_data_block_holds_every_stored_value_exactly(report) -> None:
    _, data, _ = report
    shown = {
        (v["metric"], v["dimension"], v["member"], v["period"], v["value"])
        for chart in data["charts"].values() for v in chart["values"]
    }  # fmt: skip
    drawn = {"arr", "customers", "new_arr", "expansion_arr", "reactivation_arr",
             "contraction_arr", "churn_arr", "net_new_arr", "ltv_to_cac", "magic_number",
             "iacv", "pipeline_created", "win_rate_count", "win_rate_amount",
             "sales_efficiency", "leads", "lead_to_opportunity_rate", "opportunity_to_won_rate",
             "cost_per_lead", "cac", "channel_cac", "campaign_spend", "net_revenue_retention",
             "gross_revenue_retention", "billings", "collections"}  # fmt: skip
    stored = {
        (r["metric"], r["dimension"], r["member"], r["period_label"], r["value"] or None)
        for r in rows() if r["grain"] == "quarter"
    }  # fmt: skip
    assert {r[0] for r in stored} == drawn
    assert shown == stored  # every quarter row, as stored (decimal text), nothing else
    assert data["meta"]["in_progress"] == "FY2025-Q4"
    assert data["meta"]["last_day"] == "2024-12-15"


def test_the_figures_plot_the_stored_values(report) -> None:
    _, _, figures = report
    arr = figures["executive-arr-customers"]
    assert trace(arr, "ARR")["x"] == PERIODS
    assert trace(arr, "ARR")["y"] == floats("arr")
    assert trace(arr, "Customers")["y"] == floats("customers")
    assert trace(arr, "Customers")["yaxis"] == "y2"
    bridge = figures["executive-arr-bridge"]
    assert trace(bridge, "New ARR")["y"] == floats("new_arr")
    churn = trace(bridge, "Churned ARR (drawn below zero)")
    assert churn["y"] == [-v for v in floats("churn_arr")]  # drawn below zero ...
    assert churn["customdata"] == floats("churn_arr")  # ... hovering the stored value
    assert trace(bridge, "Net new ARR")["y"] == floats("net_new_arr")
    assert bridge["layout"]["barmode"] == "relative"
    assert trace(figures["sales-win-rate"], "Win rate (count)")["y"] == floats("win_rate_count")
    assert trace(figures["finance-magic-number"], "Magic number")["y"] == floats("magic_number")
    cpl = figures["marketing-cpl-channel"]
    assert [t["name"] for t in cpl["data"]] == ["Email", "Webinar"]
    assert trace(cpl, "Email")["y"] == floats("cost_per_lead", "Email")


def test_the_catalog_targets_are_drawn_as_lines(report) -> None:
    _, _, figures = report

    def lines(key: str) -> list[tuple[float, str]]:
        layout = figures[key]["layout"]
        texts = [a["text"] for a in layout.get("annotations", [])]
        return [(s["y0"], t) for s, t in zip(layout.get("shapes", []), texts, strict=True)]

    assert lines("executive-magic-number") == [(0.7, "Magic number target: above 0.7")]
    assert lines("finance-magic-number") == [(0.7, "Magic number target: above 0.7")]
    assert lines("executive-ltv-cac") == [(3.0, "LTV:CAC target: above 3")]
    assert lines("sales-sales-efficiency") == [(0.8, "Sales efficiency target: above 0.8")]
    assert lines("sales-win-rate") == [(0.3, "Win rate (count) target: above 0.3")]
    assert lines("finance-retention") == [
        (1.8, "Net revenue retention target: above 1.8"),
        (0.9, "Gross revenue retention target: above 0.9"),
    ]
    assert lines("executive-arr-customers") == []


def test_the_funnel_recounts_the_latest_complete_period(report) -> None:
    _, data, figures = report
    funnel = figures["marketing-funnel"]["data"][0]
    # FY2025-Q3: 60 leads, x 0.35 = 21 opportunities, x 0.381 = 8.001 -> 8 won
    assert (funnel["type"], funnel["y"], funnel["x"]) == (
        "funnel", ["Leads", "Opportunities", "Won"], [60, 21, 8],
    )  # fmt: skip
    assert data["charts"]["marketing-funnel"]["notes"] == [
        "Funnel of FY2025-Q3 (leads created in the period, followed to the clock): "
        "opportunities = leads x 0.35, won = opportunities x 0.381"
    ]


def test_metrics_without_values_get_a_visible_note(report) -> None:
    page, data, figures = report
    notes = {key: chart["notes"] for key, chart in data["charts"].items() if chart["notes"]}
    assert notes == {
        "sales-pipeline-coverage": [
            "Pipeline coverage: awaiting source (a sales quota source); target above 3"
        ],
        "marketing-funnel": notes["marketing-funnel"],
        "marketing-program-spend": [
            "Program spend / total spend: awaiting source (NetSuite); target above 0.5"
        ],
        "finance-dso": ["DSO: no values in metric_values yet"],
    }
    assert "marketing-cac-channel" in figures
    assert '<p class="note">DSO: no values in metric_values yet</p>' in page


def test_the_page_needs_no_network(report) -> None:
    page, _, figures = report
    assert re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=", page) == []
    assert "Plotly.newPlot" in page and "plotly.js v" in page  # the bundle itself, inline
    assert len(figures) == 15


def test_a_report_run_is_in_run_history(metric_world: MetricWorld) -> None:
    assert run_report(metric_world, "--out", "r.html").returncode == 0
    with psycopg2.connect(metric_world.url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT status, stream_counts, error, log_path FROM bizops.runs "
            "WHERE project = %s AND pipeline = 'report'", (metric_world.prefix,),
        )  # fmt: skip
        runs = cur.fetchall()
    conn.close()
    assert runs == [("succeeded", {"charts": 15, "values": 149}, None, "r.html")]


def test_without_metrics_the_error_says_what_to_run(metric_world: MetricWorld) -> None:
    result = run_report(metric_world, "--out", "r.html", "--schema", "never_built")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "bizops: [config] no metrics in schema never_built_metrics yet: run `bizops transform` "
        "first\n"
    )
    assert not (metric_world.root / "r.html").exists()


def test_an_unwritable_path_fails_and_leaves_no_file(metric_world: MetricWorld) -> None:
    (metric_world.root / "taken").write_text("a file, not a folder", encoding="utf-8")
    result = run_report(metric_world, "--out", "taken/r.html")
    assert result.returncode == 2
    assert result.stderr == (
        "bizops: [config] cannot write the report to taken/r.html: File exists\n"
    )
    assert sorted(p.name for p in metric_world.root.iterdir()) == ["bizops.yml", "taken"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("above 0.7", ("above", 0.7)),
        ("above 3 (Skok); GitLab's KPI above 4", ("above", 3.0)),
        ("180 % (GitLab handbook)", ("above", 1.8)),
        ("above 40%", ("above", 0.4)),
        ("below 45 days", ("below", 45.0)),
        ("more is better", None),
        (None, None),
    ],
)
def test_catalog_targets_are_read_from_their_first_number(text, expected) -> None:
    target = parse_target(text)
    assert (target and (target.direction, target.threshold)) == expected
