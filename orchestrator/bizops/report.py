"""``bizops report``: the department views of the metrics as charts, read from
``metric_values`` (with ``bizops metrics``' reader) and built as Plotly figures; the HTML file
itself is written by :mod:`bizops.report_html`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from bizops import metrics as lib
from bizops.metric_catalog import Metric

# A catalog target: "above 0.7", "above 3 (Skok); ...", "180 % (GitLab handbook)", "above 40%".
_TARGET = re.compile(r"^\s*(above|below)?\s*(-?\d+(?:\.\d+)?)\s*(%?)", re.IGNORECASE)
# Leads x a stored rate (4 places) rounds back to the exact whole count below this many leads.
EXACT_FUNNEL_LEADS = 10_000


@dataclass(frozen=True)
class Target:
    """A metric's target from the catalog, as a line to draw."""

    direction: str  # "above" or "below"
    threshold: float
    text: str  # the catalog's words

    def met(self, value: Decimal) -> bool:
        """Whether ``value`` meets the target (strictly, as "above 0.7" reads)."""
        limit = Decimal(str(self.threshold))
        return value > limit if self.direction == "above" else value < limit


def parse_target(text: str | None) -> Target | None:
    """The first number of a catalog ``target`` (``%`` read as a share), else None."""
    found = _TARGET.match(text or "")
    if not found:
        return None
    number = float(found.group(2)) / (100 if found.group(3) else 1)
    return Target((found.group(1) or "above").lower(), number, text or "")


@dataclass(frozen=True)
class ChartSpec:
    """One chart of a department: what it shows and how.

    Attributes:
        key: the chart's id in the page; title: its heading.
        kind: ``lines``, ``bars``, ``bridge`` (ARR movements), ``arr_customers`` (ARR bars and
            customers on a second axis), ``by_member`` (one metric per breakdown member) or
            ``funnel`` (leads -> opportunities -> won of the latest complete period).
        metrics: the catalog names shown; dimension: ``total`` or a breakdown (``channel``).
    """

    key: str
    title: str
    kind: str
    metrics: tuple[str, ...]
    dimension: str = "total"


BRIDGE_UP = ("new_arr", "expansion_arr", "reactivation_arr")
BRIDGE_DOWN = ("contraction_arr", "churn_arr")
FUNNEL = ("leads", "lead_to_opportunity_rate", "opportunity_to_won_rate")
SECTIONS: tuple[tuple[str, tuple[ChartSpec, ...]], ...] = (
    ("Executive", (
        ChartSpec("arr-customers", "ARR and customers", "arr_customers", ("arr", "customers")),
        ChartSpec("arr-bridge", "ARR bridge (losses drawn below zero)", "bridge",
                  (*BRIDGE_UP, *BRIDGE_DOWN, "net_new_arr")),
        ChartSpec("ltv-cac", "LTV:CAC", "lines", ("ltv_to_cac",)),
        ChartSpec("magic-number", "Magic number", "lines", ("magic_number",)),
    )),
    ("Sales", (
        ChartSpec("iacv", "IACV and pipeline created", "bars", ("iacv", "pipeline_created")),
        ChartSpec("win-rate", "Win rate", "lines", ("win_rate_count", "win_rate_amount")),
        ChartSpec("sales-efficiency", "Sales efficiency", "lines", ("sales_efficiency",)),
        ChartSpec("pipeline-coverage", "Pipeline coverage", "lines", ("pipeline_coverage",)),
    )),
    ("Marketing", (
        ChartSpec("funnel", "Funnel: leads, opportunities, won", "funnel", FUNNEL),
        ChartSpec("cpl-channel", "Cost per lead by channel", "by_member", ("cost_per_lead",),
                  "channel"),
        ChartSpec("cac-channel", "CAC by channel", "by_member", ("channel_cac",), "channel"),
        ChartSpec("blended", "Cost per lead and CAC (blended)", "lines", ("cost_per_lead", "cac")),
        ChartSpec("spend-channel", "Campaign spend by channel", "by_member", ("campaign_spend",),
                  "channel"),
        ChartSpec("program-spend", "Program spend / total spend", "lines",
                  ("program_spend_share",)),
    )),
    ("Finance", (
        ChartSpec("magic-number", "Magic number", "lines", ("magic_number",)),
        ChartSpec("retention", "Revenue retention", "lines",
                  ("net_revenue_retention", "gross_revenue_retention")),
        ChartSpec("billings", "Billings and collections", "bars", ("billings", "collections")),
        ChartSpec("dso", "DSO", "lines", ("dso",)),
    )),
)  # fmt: skip


@dataclass
class Chart:
    """A chart ready for the page: its Plotly figure (None: only notes), the exact values it
    shows and its notes (a metric without values, awaiting its source, ...)."""

    spec: ChartSpec
    figure: dict[str, Any] | None
    values: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)


def read_values(
    url: str, schema: str, catalog: Sequence[Metric], grain: str, last: int
) -> dict[tuple[str, str], list[lib.Value]]:
    """Every value the charts need, by (metric, dimension), oldest period first."""
    wanted: dict[str, set[str]] = {}
    by_name = {m.name: m for m in catalog}
    for _, specs in SECTIONS:
        for spec in specs:
            for name in spec.metrics:
                metric = by_name.get(name)
                if metric and metric.built and grain in metric.grains:
                    wanted.setdefault(spec.dimension, set()).add(name)
    found: dict[tuple[str, str], list[lib.Value]] = {}
    for dimension, names in sorted(wanted.items()):
        chosen = [by_name[n] for n in sorted(names)]
        for value in lib.read(url, schema, chosen, grain, last, dimension):
            found.setdefault((value.metric, dimension), []).append(value)
    return found


def build_charts(
    catalog: Sequence[Metric], grain: str, values: dict[tuple[str, str], list[lib.Value]]
) -> list[tuple[str, list[Chart]]]:
    """Each department's charts, with a note for every metric that cannot be drawn."""
    by_name = {m.name: m for m in catalog}
    return [
        (title, [_chart(spec, by_name, grain, values) for spec in specs])
        for title, specs in SECTIONS
    ]


def _chart(
    spec: ChartSpec, by_name: dict[str, Metric], grain: str, values: dict[Any, list[lib.Value]]
) -> Chart:
    chart = Chart(spec, None)
    shown: list[Metric] = []
    for name in spec.metrics:
        metric = by_name.get(name)
        if metric is None:
            chart.notes.append(f"{name}: not in the metric catalog")
        elif not metric.built:
            target = f"; target {metric.target}" if metric.target else ""
            chart.notes.append(f"{metric.label}: awaiting source ({metric.awaiting}){target}")
        elif grain not in metric.grains:
            chart.notes.append(f"{metric.label}: given by {' and '.join(metric.grains)} only")
        elif not values.get((name, spec.dimension)):
            where = "" if spec.dimension == "total" else f" by {spec.dimension}"
            chart.notes.append(f"{metric.label}: no values{where} in metric_values yet")
        else:
            shown.append(metric)
            chart.definitions.append(f"{metric.label}: {metric.definition}")
    series = [v for m in shown for v in values[(m.name, spec.dimension)]]
    chart.values = [_exact(v) for v in series]
    if spec.kind == "funnel":
        if len(shown) == len(FUNNEL):
            chart.figure = _funnel(series, chart.notes)
        return chart
    if shown:
        chart.figure = FIGURES[spec.kind](spec, shown, series)
    return chart


def _exact(v: lib.Value) -> dict[str, Any]:
    return {
        "metric": v.metric, "dimension": v.dimension, "member": v.member, "period": v.period,
        "period_start": v.period_start.isoformat(), "complete": v.complete,
        "value": None if v.value is None else str(v.value),
    }  # fmt: skip


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _periods(series: Sequence[lib.Value]) -> list[str]:
    starts: dict[str, date] = {v.period: v.period_start for v in series}
    return sorted(starts, key=starts.__getitem__)


def _line(periods: list[str], values: Sequence[lib.Value]) -> list[float | None]:
    by_period = {v.period: _number(v.value) for v in values}
    return [by_period.get(p) for p in periods]


def _layout(unit: str, **extra: Any) -> dict[str, Any]:
    """A figure's layout (the card above it carries the chart's title)."""
    axis = {"tickformat": "$~s"} if unit == "usd" else {}  # d3: -$500k, $1.5M
    return {
        "height": 360,
        "margin": {"l": 60, "r": 40, "t": 60, "b": 40},
        "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom"}, "template": "plotly_white",
        "xaxis": {"type": "category"}, "yaxis": axis, **extra,
    }  # fmt: skip


def _figure(traces: list[Any], layout: dict[str, Any]) -> dict[str, Any]:
    import json

    import plotly.graph_objects as go
    import plotly.io as pio

    return json.loads(pio.to_json(go.Figure(data=traces, layout=layout), engine="json"))


def _targets(metrics: Sequence[Metric]) -> dict[str, Any]:
    shapes, notes = [], []
    for metric in metrics:
        target = parse_target(metric.target)
        if target is None:
            continue
        shapes.append({
            "type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y",
            "y0": target.threshold, "y1": target.threshold,
            "line": {"color": "#d62728", "dash": "dash", "width": 2},
        })  # fmt: skip
        notes.append({
            "xref": "paper", "x": 1, "xanchor": "right", "yref": "y", "y": target.threshold,
            "yanchor": "bottom", "showarrow": False, "font": {"color": "#d62728"},
            "text": f"{metric.label} target: {target.direction} {target.threshold:g}",
        })  # fmt: skip
    return {"shapes": shapes, "annotations": notes}


def _lines(spec: ChartSpec, metrics: Sequence[Metric], series: Sequence[lib.Value]) -> Any:
    import plotly.graph_objects as go

    periods = _periods(series)
    traces = [
        go.Scatter(x=periods, y=_line(periods, [v for v in series if v.metric == m.name]),
                   name=m.label, mode="lines+markers", connectgaps=False)
        for m in metrics
    ]  # fmt: skip
    return _figure(traces, _layout(metrics[0].unit, **_targets(metrics)))


def _bars(spec: ChartSpec, metrics: Sequence[Metric], series: Sequence[lib.Value]) -> Any:
    import plotly.graph_objects as go

    periods = _periods(series)
    traces = [
        go.Bar(x=periods, y=_line(periods, [v for v in series if v.metric == m.name]),
               name=m.label)
        for m in metrics
    ]  # fmt: skip
    return _figure(traces, _layout(metrics[0].unit, barmode="group"))


def _by_member(spec: ChartSpec, metrics: Sequence[Metric], series: Sequence[lib.Value]) -> Any:
    import plotly.graph_objects as go

    periods = _periods(series)
    members = sorted({v.member for v in series})
    traces = [
        go.Bar(x=periods, y=_line(periods, [v for v in series if v.member == member]),
               name=member)
        for member in members
    ]  # fmt: skip
    layout = _layout(metrics[0].unit, barmode="group", **_targets(metrics))
    return _figure(traces, layout)


def _bridge(spec: ChartSpec, metrics: Sequence[Metric], series: Sequence[lib.Value]) -> Any:
    """Movements as relative bars: gains up, losses (stored positive) drawn below zero, their
    stored value in the hover; net new ARR as a line."""
    import plotly.graph_objects as go

    periods = _periods(series)
    traces = []
    for metric in metrics:
        ys = _line(periods, [v for v in series if v.metric == metric.name])
        if metric.name == "net_new_arr":
            traces.append(go.Scatter(x=periods, y=ys, name=metric.label, mode="lines+markers",
                                     line={"color": "black"}))  # fmt: skip
            continue
        down = metric.name in BRIDGE_DOWN
        traces.append(go.Bar(
            x=periods, y=[None if y is None else -y for y in ys] if down else ys,
            name=f"{metric.label} (drawn below zero)" if down else metric.label, customdata=ys,
            hovertemplate="%{x}: $%{customdata:,.2f}<extra>" + metric.label + "</extra>",
        ))  # fmt: skip
    layout = _layout("usd", barmode="relative")
    return _figure(traces, layout)


def _arr_customers(spec: ChartSpec, metrics: Sequence[Metric], series: Sequence[lib.Value]) -> Any:
    import plotly.graph_objects as go

    periods = _periods(series)
    traces = []
    for metric in metrics:
        ys = _line(periods, [v for v in series if v.metric == metric.name])
        if metric.unit == "usd":
            traces.append(go.Bar(x=periods, y=ys, name=metric.label))
        else:
            traces.append(go.Scatter(x=periods, y=ys, name=metric.label, yaxis="y2",
                                     mode="lines+markers"))  # fmt: skip
    layout = _layout(
        "usd",
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "rangemode": "tozero",
            "tickmode": "auto",
            "showgrid": False,
        },
    )
    return _figure(traces, layout)


def _funnel(series: Sequence[lib.Value], notes: list[str]) -> dict[str, Any] | None:
    """Leads -> opportunities -> won of the latest complete period with all three values:
    the counts are the leads times the stored rates, whole (exact below EXACT_FUNNEL_LEADS)."""
    import plotly.graph_objects as go

    cells = {(v.metric, v.period): v for v in series}
    periods = [p for p in reversed(_periods(series))
               if all(cells.get((m, p)) and cells[(m, p)].complete and
                      cells[(m, p)].value is not None for m in FUNNEL)]  # fmt: skip
    if not periods:
        notes.append("Funnel: no complete period with leads and both conversion rates yet")
        return None
    period = periods[0]
    leads, to_opportunity, to_won = (cells[(m, period)].value for m in FUNNEL)
    if leads >= EXACT_FUNNEL_LEADS:
        notes.append(f"Funnel: {leads} leads are too many to recount from 4-place rates")
        return None
    opportunities = round(leads * to_opportunity)
    won = round(opportunities * to_won)
    notes.append(
        f"Funnel of {period} (leads created in the period, followed to the clock): "
        f"opportunities = leads x {to_opportunity}, won = opportunities x {to_won}"
    )
    trace = go.Funnel(
        y=["Leads", "Opportunities", "Won"],
        x=[int(leads), opportunities, won],
        textinfo="value+percent initial",
    )
    return _figure([trace], _layout("count", xaxis={}))  # fmt: skip


FIGURES = {
    "lines": _lines, "bars": _bars, "by_member": _by_member, "bridge": _bridge,
    "arr_customers": _arr_customers,
}  # fmt: skip
