"""``bizops metrics``: the latest metric values from the warehouse's ``metric_values``, with
each metric's catalog definition."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bizops.metric_catalog import GRAINS, Metric
from bizops_core.errors import ConfigurationError

UNDEFINED = "-"  # a value that is undefined (a ratio over zero)


@dataclass(frozen=True)
class Value:
    """One metric value of one period (and breakdown member)."""

    metric: str
    grain: str
    dimension: str
    member: str
    period: str
    period_start: date
    period_end: date
    complete: bool  # False: the period runs past the data (in progress)
    value: Decimal | None
    sample_size: int | None


def metrics_schema(schema: str) -> str:
    """The schema the metric marts land in for a transform ``schema``."""
    return "metrics" if schema == "public" else f"{schema}_metrics"


def choose(
    catalog: Sequence[Metric], names: Sequence[str], grain: str
) -> tuple[list[Metric], list[str]]:
    """The catalog entries to show (``names``, default every built metric) and notes on the
    ones that cannot be shown at ``grain``.

    Raises:
        ConfigurationError: a name is not in the catalog.
    """
    by_name = {m.name: m for m in catalog}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        known = ", ".join(m.name for m in catalog if m.built)
        raise ConfigurationError(f"no metric {', '.join(map(repr, unknown))} (known: {known})")
    chosen = [by_name[n] for n in names] if names else [m for m in catalog if m.built]
    notes, shown = [], []
    for metric in chosen:
        if not metric.built:
            notes.append(f"{metric.name}: awaiting source ({metric.awaiting})")
        elif grain not in metric.grains:
            notes.append(f"{metric.name}: given by {' and '.join(metric.grains)} only")
        else:
            shown.append(metric)
    return shown, notes


def read(
    database_url: str,
    schema: str,
    metrics: Sequence[Metric],
    grain: str,
    last: int,
    dimension: str = "total",
) -> list[Value]:
    """The values of the last ``last`` periods of ``grain`` (those that have begun) of each of
    ``metrics``, oldest first.

    Raises:
        ConfigurationError: the metrics are not built in the warehouse yet.
    """
    import psycopg2
    from psycopg2 import sql

    if grain not in GRAINS:
        raise ConfigurationError(f"unknown period {grain!r}; expected one of {GRAINS}")
    if last < 1:
        raise ConfigurationError(f"--last must be at least 1, not {last}")
    if not metrics:
        return []
    query = sql.SQL(
        "WITH h AS (SELECT last_day FROM {schema}.metric_history), "
        "v AS (SELECT v.*, v.period_end <= h.last_day AS complete, row_number() OVER "
        "(PARTITION BY v.metric, v.member ORDER BY v.period_start DESC) AS n "
        "FROM {schema}.metric_values v CROSS JOIN h "
        "WHERE v.metric = ANY(%s) AND v.grain = %s AND v.dimension = %s "
        "AND v.period_start <= h.last_day) "
        "SELECT metric, grain, dimension, member, period_label, period_start, period_end, "
        "complete, value, sample_size FROM v WHERE n <= %s "
        "ORDER BY metric, member, period_start"
    ).format(schema=sql.Identifier(metrics_schema(schema)))
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(query, ([m.name for m in metrics], grain, dimension, last))
            rows = cur.fetchall()
    except psycopg2.errors.UndefinedTable:
        raise ConfigurationError(
            f"no metrics in schema {metrics_schema(schema)} yet: run `bizops transform` first"
        ) from None
    finally:
        conn.close()
    return [Value(*row) for row in rows]


def _number(value: Decimal | None, unit: str) -> str:
    if value is None:
        return UNDEFINED
    if unit == "usd":
        return f"{value:,.2f}"
    if unit == "count":
        return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,}"
    if unit == "ratio":
        return f"{value:.4f}"
    return f"{value.normalize():f}"


def table(metrics: Sequence[Metric], values: Iterable[Value]) -> str:
    """Metrics down, periods across (in progress ones marked ``*``), then each definition."""
    values = list(values)
    periods: dict[str, tuple[date, bool]] = {}
    for v in values:
        periods[v.period] = (v.period_start, v.complete)
    order = sorted(periods, key=lambda p: periods[p][0])
    heads = [p + ("" if periods[p][1] else "*") for p in order]
    cells = {(v.metric, v.member, v.period): v for v in values}
    members = sorted({(v.metric, v.member) for v in values})
    rows = []
    for metric in metrics:
        for name, member in [m for m in members if m[0] == metric.name] or [(metric.name, "all")]:
            label = name if member == "all" else f"{name} [{member}]"
            row = [label]
            for period in order:
                cell = cells.get((name, member, period))
                row.append("" if cell is None else _number(cell.value, metric.unit))
            rows.append([*row, metric.definition])
    header = ["metric", *heads, "definition"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header) - 1)]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        middle = [cell.rjust(w) for cell, w in zip(row[1:-1], widths[1:], strict=True)]
        return "  ".join([first, *middle, row[-1]]).rstrip()

    out = [line(header), *(line(r) for r in rows)]
    if any(not done for _, done in periods.values()):
        out.append("* period in progress: values up to the last day of the data")
    return "\n".join(out) + "\n"


def _fields(metric: Metric | None, v: Value) -> dict[str, Any]:
    return {
        "metric": v.metric, "grain": v.grain, "dimension": v.dimension, "member": v.member,
        "period": v.period, "period_start": v.period_start.isoformat(),
        "period_end": v.period_end.isoformat(), "complete": v.complete,
        "value": v.value, "sample_size": v.sample_size,
        "unit": metric.unit if metric else "",
    }  # fmt: skip


def as_csv(metrics: Sequence[Metric], values: Iterable[Value]) -> str:
    """One row per value; the value as exact decimal text, empty when undefined."""
    by_name = {m.name: m for m in metrics}
    buffer = io.StringIO()
    writer = None
    for v in values:
        row = _fields(by_name.get(v.metric), v)
        row["value"] = "" if v.value is None else str(v.value)
        if writer is None:
            writer = csv.DictWriter(buffer, fieldnames=list(row), lineterminator="\n")
            writer.writeheader()
        writer.writerow(row)
    return buffer.getvalue()


def as_json(metrics: Sequence[Metric], values: Iterable[Value]) -> str:
    """A JSON list of values. A value is a JSON number when that number reads back as the
    exact decimal (always for money and ratios of ordinary size), else its decimal text."""
    by_name = {m.name: m for m in metrics}
    out = []
    for v in values:
        row = _fields(by_name.get(v.metric), v)
        row["value"] = _json_number(v.value)
        out.append(row)
    return json.dumps(out, indent=2) + "\n"


def _json_number(value: Decimal | None) -> float | int | str | None:
    if value is None:
        return None
    if value == value.to_integral_value() and abs(value) < 2**53:
        return int(value)
    as_float = float(value)
    return as_float if Decimal(repr(as_float)) == value else str(value)


def catalog_table(catalog: Sequence[Metric]) -> str:
    """The catalog: name, status (or the awaited source), grains, definition."""
    rows = [["metric", "status", "grains", "definition"]]
    for m in catalog:
        status = "built" if m.built else f"awaiting {m.awaiting}"
        rows.append([m.name, status, ",".join(m.grains) or "-", m.definition])
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "".join(
        "  ".join([*(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)), r[3]]).rstrip() + "\n"
        for r in rows
    )
