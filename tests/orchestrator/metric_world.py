"""A hand-filled metric layer for the display tests (report, digest): the rows of
``tests/data/display_metric_values.csv`` in a fresh ``<prefix>_metrics`` schema, and a project
whose transform schema is ``<prefix>``. Seconds, not a transform."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tests import metric_marts as marts

ROWS = Path(__file__).resolve().parent.parent / "data" / "display_metric_values.csv"
LAST_DAY = "2024-12-15"  # FY2025-Q4 (Nov to Jan) is in progress, FY2025-Q3 the latest complete
PROJECT = """\
version: 1
project_id: {prefix}
taps:
  tap-unused: {{command: "true"}}
targets:
  target-unused: {{command: "true"}}
pipelines:
  - {{name: unused, tap: tap-unused, target: target-unused}}
transform:
  schema: {prefix}
"""


@dataclass(frozen=True)
class MetricWorld:
    """A project over a hand-filled metric layer."""

    root: Path
    prefix: str  # the transform schema; the values are in <prefix>_metrics
    url: str

    def env(self) -> dict[str, str]:
        """What a bizops command needs to find the warehouse."""
        return {"BIZOPS_DATABASE_URL": self.url}


def rows() -> list[dict[str, str]]:
    """The CSV rows (empty value: NULL)."""
    with ROWS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def value(metric: str, period: str, member: str = "all") -> Decimal | None:
    """The stored value of one row of the CSV (quarter grain)."""
    for row in rows():
        key = (row["metric"], row["grain"], row["period_label"], row["member"])
        if key == (metric, "quarter", period, member):
            return Decimal(row["value"]) if row["value"] else None
    raise KeyError((metric, period, member))


@pytest.fixture
def metric_world(warehouse_url: str, tmp_path: Path) -> Iterator[MetricWorld]:
    """The CSV's metric_values and a metric_history ending on LAST_DAY, under a fresh prefix."""
    prefix = f"d_{uuid.uuid4().hex[:10]}"
    marts.create(warehouse_url, f"{prefix}_metrics", (list(r.values()) for r in rows()), LAST_DAY,
                 "2023-01-01")  # fmt: skip
    (tmp_path / "bizops.yml").write_text(PROJECT.format(prefix=prefix), encoding="utf-8")
    try:
        yield MetricWorld(tmp_path, prefix, warehouse_url)
    finally:
        marts.drop(warehouse_url, f"{prefix}_metrics")
