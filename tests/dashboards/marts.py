"""The metric marts the dashboard tests read: metric_values from metric_values.csv and a
metric_history whose data ends on 2024-11-15 (so FY2025-Q3 is the latest complete quarter)."""

from __future__ import annotations

import csv
from pathlib import Path

from tests import metric_marts

ROWS = Path(__file__).with_name("metric_values.csv")
LAST_DAY = "2024-11-15"


def rows() -> list[dict[str, str]]:
    """The rows of metric_values.csv."""
    with ROWS.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def create(url: str, schema: str) -> None:
    """Create ``schema`` with metric_values (the CSV's rows) and metric_history."""
    metric_marts.create(url, schema, (list(r.values()) for r in rows()), LAST_DAY, "2023-02-01")


drop = metric_marts.drop
