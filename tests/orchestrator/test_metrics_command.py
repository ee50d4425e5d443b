"""`bizops metrics`: the latest values read from a metric_values table, shown per period with
the catalog's definition, exactly as stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from bizops import metrics as lib
from bizops.metric_catalog import Metric, load
from bizops_core.errors import ConfigurationError
from tests import metric_marts

BIZOPS = str(Path(sys.executable).parent / "bizops")
ARR = Metric(
    "arr", "ARR", "Annual recurring revenue at period end", "built",
    grains=("month", "quarter"), unit="usd",
)  # fmt: skip
WIN = Metric("win_rate", "Win rate", "Won / closed", "built", grains=("quarter",), unit="ratio")
CPL = Metric("cpl", "CPL", "Spend / leads", "built", grains=("quarter",), unit="usd")
ZEN = Metric("csat", "CSAT", "Good / rated", "awaiting source", awaiting="Zendesk")
ROWS = [
    # metric, grain, start, end, label, dimension, member, value, n
    ("arr", "quarter", "2024-02-01", "2024-04-30", "FY2025-Q1", "total", "all", "1200.50", None),
    ("arr", "quarter", "2024-05-01", "2024-07-31", "FY2025-Q2", "total", "all", "2400.10", None),
    (
        "arr",
        "quarter",
        "2024-08-01",
        "2024-10-31",
        "FY2025-Q3",
        "total",
        "all",
        "12345678.99",
        None,
    ),
    ("arr", "quarter", "2024-11-01", "2025-01-31", "FY2025-Q4", "total", "all", "0.00", None),
    ("win_rate", "quarter", "2024-08-01", "2024-10-31", "FY2025-Q3", "total", "all", None, None),
    (
        "win_rate",
        "quarter",
        "2024-05-01",
        "2024-07-31",
        "FY2025-Q2",
        "total",
        "all",
        "0.3333",
        None,
    ),
    ("cpl", "quarter", "2024-08-01", "2024-10-31", "FY2025-Q3", "channel", "Webinar", "12.5", None),
    ("cpl", "quarter", "2024-08-01", "2024-10-31", "FY2025-Q3", "channel", "Email", "0.1", None),
    ("arr", "month", "2024-12-01", "2024-12-31", "2024-12", "total", "all", "7.00", None),
]


@pytest.fixture
def marts(warehouse_url: str) -> Iterator[str]:
    """A transform schema whose metric tables hold ROWS; the data ends on 2024-11-15."""
    prefix = f"q_{uuid.uuid4().hex[:10]}"
    metric_marts.create(warehouse_url, f"{prefix}_metrics", ROWS, "2024-11-15", "2023-01-01")
    try:
        yield prefix
    finally:
        metric_marts.drop(warehouse_url, f"{prefix}_metrics")


def test_the_last_periods_that_have_begun_oldest_first(warehouse_url: str, marts: str) -> None:
    values = lib.read(warehouse_url, marts, [ARR], "quarter", 2)
    assert [(v.period, v.value, v.complete) for v in values] == [
        ("FY2025-Q3", Decimal("12345678.99"), True),
        ("FY2025-Q4", Decimal("0.00"), False),  # runs past 2024-11-15
    ]


def test_the_table_shows_periods_across_and_the_definition(warehouse_url: str, marts: str):
    values = lib.read(warehouse_url, marts, [ARR, WIN], "quarter", 3)
    assert lib.table([ARR, WIN], values) == (
        "metric    FY2025-Q2      FY2025-Q3  FY2025-Q4*  definition\n"
        "arr        2,400.10  12,345,678.99        0.00  Annual recurring revenue at period end\n"
        "win_rate     0.3333              -              Won / closed\n"
        "* period in progress: values up to the last day of the data\n"
    )


def test_a_breakdown_gives_one_row_per_member(warehouse_url: str, marts: str) -> None:
    values = lib.read(warehouse_url, marts, [CPL], "quarter", 1, "channel")
    assert lib.table([CPL], values) == (
        "metric         FY2025-Q3  definition\n"
        "cpl [Email]         0.10  Spend / leads\n"
        "cpl [Webinar]      12.50  Spend / leads\n"
    )


def test_csv_and_json_keep_the_exact_values(warehouse_url: str, marts: str) -> None:
    values = lib.read(warehouse_url, marts, [ARR, WIN], "quarter", 1)
    assert lib.as_csv([ARR, WIN], values).splitlines() == [
        "metric,grain,dimension,member,period,period_start,period_end,complete,value,"
        "sample_size,unit",
        "arr,quarter,total,all,FY2025-Q4,2024-11-01,2025-01-31,False,0.00,,usd",
        "win_rate,quarter,total,all,FY2025-Q3,2024-08-01,2024-10-31,True,,,ratio",
    ]
    wide = lib.read(warehouse_url, marts, [ARR], "quarter", 4)
    assert [row["value"] for row in json.loads(lib.as_json([ARR], wide))] == [
        1200.5, 2400.1, 12345678.99, 0,
    ]  # fmt: skip


def test_names_are_checked_and_unshowable_ones_explained() -> None:
    shown, notes = lib.choose([ARR, WIN, ZEN], ["arr", "win_rate", "csat"], "month")
    assert shown == [ARR]
    assert notes == ["win_rate: given by quarter only", "csat: awaiting source (Zendesk)"]
    with pytest.raises(ConfigurationError) as info:
        lib.choose([ARR, WIN, ZEN], ["ar"], "month")
    assert str(info.value) == "no metric 'ar' (known: arr, win_rate)"


def test_without_a_transform_the_error_says_what_to_run(warehouse_url: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        lib.read(warehouse_url, "never_built", [ARR], "month", 1)
    assert str(info.value) == (
        "no metrics in schema never_built_metrics yet: run `bizops transform` first"
    )


def test_the_shipped_catalog_loads_and_names_sources_awaited() -> None:
    catalog = load()
    awaiting = [m for m in catalog if not m.built]
    assert awaiting and all(m.awaiting for m in awaiting)
    assert len({m.name for m in catalog}) == len(catalog)


def test_the_command_prints_the_catalog(tmp_path: Path) -> None:
    result = subprocess.run(
        [BIZOPS, "metrics", "--catalog"], capture_output=True, text=True, check=False,
        env={**os.environ}, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["metric", "status", "grains", "definition"]
    assert len(lines) == 1 + len(load())
    assert any(line.split()[:3] == ["rule_of_40", "awaiting", "NetSuite"] for line in lines)
    assert any(line.split()[:2] == ["csat", "built"] for line in lines)


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [BIZOPS, "metrics", "--catalog"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd=tmp_path,
    )  # fmt: skip
    process.stdout.close()  # before the command writes a byte: its write gets EPIPE
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 141
    assert stderr == b""
