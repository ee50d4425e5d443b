"""Dashboards as code: the department definitions (``bizops_dashboards/*.yml``) turned into
Superset's v1 import bundle (a zip of metadata, database, dataset, chart and dashboard YAML)."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bizops_core.errors import ConfigurationError

NAMESPACE = uuid.UUID("6f1c3c52-3d0b-4f4e-9a54-6b1d2c0b1a11")  # bizops' dashboards, forever
DATABASE_NAME = "BizOps warehouse"
DATASET_NAME = "metric_values"
ROOT = "bizops_dashboards"  # the bundle's top folder (Superset strips it)
VERSION = "1.0.0"
TYPES = {"big_number": "big_number_total", "line": "echarts_timeseries_line",
         "bar": "echarts_timeseries_bar"}  # fmt: skip
# d3 formats: big numbers show cents, axes whole dollars; "multiple" is a ratio such as LTV:CAC
FORMATS = {"usd": "$,.2f", "count": ",d", "ratio": ".1%", "multiple": ",.2f", "days": ",.1f"}
AXIS_FORMATS = {**FORMATS, "usd": "$,.0f"}
GRAINS = ("month", "quarter", "fiscal-year")
DIMENSIONS = ("total", "channel", "campaign", "segment", "stage")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # metric names go into SQL: identifiers only
COLUMNS = {  # the dataset's columns and their types (SQL of dataset_sql)
    "metric": "TEXT", "grain": "TEXT", "period_start": "DATE", "period_end": "DATE",
    "period_label": "TEXT", "dimension": "TEXT", "member": "TEXT", "value": "DOUBLE PRECISION",
    "sample_size": "BIGINT", "complete": "BOOLEAN", "latest_complete": "BOOLEAN",
}  # fmt: skip


@dataclass(frozen=True)
class Chart:
    """One chart of a dashboard definition."""

    title: str
    type: str  # big_number | line | bar
    metrics: tuple[str, ...]
    grain: str
    by: str = "total"
    format: str = "usd"
    stack: bool = False
    width: int = 4  # of 12 grid columns
    negative: tuple[str, ...] = ()  # metrics drawn below zero (losses, e.g. churn in a bridge)


@dataclass(frozen=True)
class Dashboard:
    """One department's dashboard definition."""

    title: str
    slug: str
    charts: tuple[Chart, ...]


def stable_uuid(*parts: str) -> str:
    """A UUID derived from ``parts`` (the same on every machine and every export)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def definitions_dir() -> Path:
    """The folder of the shipped definitions (package ``bizops_dashboards``)."""
    return Path(str(resources.files("bizops_dashboards")))


def load(folder: Path | None = None) -> list[Dashboard]:
    """Every ``*.yml`` definition in ``folder`` (default: the shipped ones), by file name.

    Raises:
        ConfigurationError: a definition is malformed (the error names the file and the field).
    """
    folder = folder or definitions_dir()
    return [_dashboard(path) for path in sorted(Path(folder).glob("*.yml"))]


def _dashboard(path: Path) -> Dashboard:
    try:
        doc = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not doc.get("title") or not doc.get("slug"):
        raise ConfigurationError(f"{path.name}: needs a title, a slug and charts")
    charts = doc.get("charts")
    if not isinstance(charts, list) or not charts:
        raise ConfigurationError(f"{path.name}: charts must be a non-empty list")
    return Dashboard(
        str(doc["title"]),
        str(doc["slug"]),
        tuple(_chart(path.name, i, c) for i, c in enumerate(charts)),
    )


def _chart(file: str, index: int, node: Any) -> Chart:
    where = f"{file}: charts[{index}]"
    if not isinstance(node, dict) or not node.get("title"):
        raise ConfigurationError(f"{where}: needs a title")
    metrics = node.get("metrics") or ([node["metric"]] if node.get("metric") else [])
    checks = {
        "type": (node.get("type"), tuple(TYPES)),
        "grain": (node.get("grain"), GRAINS),
        "by": (node.get("by", "total"), DIMENSIONS),
        "format": (node.get("format", "usd"), tuple(FORMATS)),
    }
    for key, (value, allowed) in checks.items():
        if value not in allowed:
            raise ConfigurationError(f"{where}: {key} {value!r} is not one of {', '.join(allowed)}")
    bad = [m for m in metrics if not isinstance(m, str) or not NAME.match(m)]
    if not metrics or bad:
        raise ConfigurationError(f"{where}: metrics must be metric names (got {metrics!r})")
    if node["type"] == "big_number" and (len(metrics) != 1 or node.get("by", "total") != "total"):
        raise ConfigurationError(f"{where}: a big_number shows one metric's total")
    negative = tuple(node.get("negative") or ())
    if any(m not in metrics for m in negative):
        raise ConfigurationError(f"{where}: negative must name metrics of the chart")
    width = node.get("width", 4)
    if not isinstance(width, int) or not 1 <= width <= 12:
        raise ConfigurationError(f"{where}: width must be 1..12 grid columns")
    return Chart(
        str(node["title"]), node["type"], tuple(metrics), node["grain"], node.get("by", "total"),
        node.get("format", "usd"), bool(node.get("stack", False)), width, negative,
    )  # fmt: skip


def dataset_sql(metrics_schema: str) -> str:
    """The virtual dataset: metric_values with whether each period is complete (ends by the
    data's last day) and whether it is the latest complete one of its metric and grain."""
    schema = '"' + metrics_schema.replace('"', '""') + '"'
    return (
        "SELECT v.metric, v.grain, v.period_start, v.period_end, v.period_label, v.dimension,\n"
        "       v.member, CAST(v.value AS DOUBLE PRECISION) AS value, v.sample_size,\n"
        "       v.period_end <= h.last_day AS complete,\n"
        "       v.period_end = MAX(v.period_end) FILTER (WHERE v.period_end <= h.last_day)\n"
        "           OVER (PARTITION BY v.metric, v.grain) AS latest_complete\n"
        f"FROM {schema}.metric_values AS v CROSS JOIN {schema}.metric_history AS h"
    )


def sqlalchemy_uri(database_url: str) -> str:
    """``database_url`` (URL or libpq DSN) as a SQLAlchemy psycopg2 URL **without** its password
    (Superset reads it from its password store, see superset_config.py)."""
    from urllib.parse import quote, urlencode

    import psycopg2.extensions

    params = psycopg2.extensions.parse_dsn(database_url)
    params.pop("password", None)
    user = quote(params.pop("user", "postgres"), safe="")
    dbname = quote(params.pop("dbname", "postgres"), safe="")
    host = params.pop("host", "")
    port = params.pop("port", "")
    netloc = user + "@"
    if host and not host.startswith("/"):
        netloc += host + (f":{port}" if port else "")
    else:
        if host:
            params["host"] = host
        if port:
            params["port"] = port
    query = urlencode(sorted(params.items()), safe="/")
    return f"postgresql+psycopg2://{netloc}/{dbname}" + (f"?{query}" if query else "")


def bundle(dashboards: list[Dashboard], database_url: str, metrics_schema: str) -> bytes:
    """The v1 import zip of ``dashboards`` on one database and one dataset (the same bytes for
    the same input: fixed timestamps, sorted entries)."""
    files = _files(dashboards, database_url, metrics_schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{ROOT}/{name}", date_time=(2024, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, yaml.safe_dump(files[name], sort_keys=True, allow_unicode=True))
    return out.getvalue()


def _files(dashboards: list[Dashboard], database_url: str, schema: str) -> dict[str, Any]:
    db_uuid = stable_uuid("database", DATABASE_NAME)
    ds_uuid = stable_uuid("dataset", DATASET_NAME)
    files: dict[str, Any] = {
        "metadata.yaml": {"version": VERSION, "type": "Dashboard",
                          "timestamp": "2024-01-01T00:00:00+00:00"},
        "databases/BizOps_warehouse.yaml": _database(db_uuid, database_url),
        f"datasets/BizOps_warehouse/{DATASET_NAME}.yaml": _dataset(ds_uuid, db_uuid, schema),
    }  # fmt: skip
    for board in dashboards:
        for chart in board.charts:
            name = re.sub(r"\W+", "_", chart.title).strip("_")
            files[f"charts/{board.slug}_{name}.yaml"] = _chart_yaml(board, chart, ds_uuid)
        files[f"dashboards/{board.slug}.yaml"] = _dashboard_yaml(board)
    return files


def _database(db_uuid: str, database_url: str) -> dict[str, Any]:
    return {
        "database_name": DATABASE_NAME, "sqlalchemy_uri": sqlalchemy_uri(database_url),
        "cache_timeout": None, "expose_in_sqllab": True, "allow_run_async": False,
        "allow_ctas": False, "allow_cvas": False, "allow_dml": False,
        "allow_file_upload": False, "extra": {"allows_virtual_table_explore": True},
        "uuid": db_uuid, "version": VERSION,
    }  # fmt: skip


def _dataset(ds_uuid: str, db_uuid: str, schema: str) -> dict[str, Any]:
    columns = [
        {"column_name": name, "type": kind, "is_dttm": kind == "DATE", "is_active": True,
         "groupby": True, "filterable": True, "expression": None, "verbose_name": None}
        for name, kind in COLUMNS.items()
    ]  # fmt: skip
    return {
        "table_name": DATASET_NAME, "schema": schema, "sql": dataset_sql(schema),
        "main_dttm_col": "period_end", "columns": columns,
        "metrics": [{"metric_name": "count", "expression": "COUNT(*)", "metric_type": "count"}],
        "uuid": ds_uuid, "database_uuid": db_uuid, "version": VERSION, "cache_timeout": None,
        "filter_select_enabled": True, "params": None, "template_params": None, "extra": None,
    }  # fmt: skip


def chart_filter(chart: Chart) -> str:
    """The SQL WHERE clause of ``chart`` (names are checked identifiers, see _chart)."""
    names = ", ".join(f"'{m}'" for m in chart.metrics)
    where = f"metric IN ({names}) AND grain = '{chart.grain}' AND dimension = '{chart.by}'"
    return where + (" AND latest_complete" if chart.type == "big_number" else "")


def value_sql(chart: Chart) -> str:
    """The chart's metric: the sum of ``value``, negated for its ``negative`` metrics."""
    if not chart.negative:
        return "SUM(value)"
    names = ", ".join(f"'{m}'" for m in chart.negative)
    return f"SUM(CASE WHEN metric IN ({names}) THEN -value ELSE value END)"


def _chart_yaml(board: Dashboard, chart: Chart, ds_uuid: str) -> dict[str, Any]:
    value = {"expressionType": "SQL", "sqlExpression": value_sql(chart), "label": "value",
             "hasCustomLabel": True}  # fmt: skip
    params: dict[str, Any] = {
        "viz_type": TYPES[chart.type],
        "adhoc_filters": [
            {"clause": "WHERE", "expressionType": "SQL", "sqlExpression": chart_filter(chart)}
        ],
        "y_axis_format": (FORMATS if chart.type == "big_number" else AXIS_FORMATS)[chart.format],
        "time_range": "No filter",
    }
    if chart.type == "big_number":
        params.update(metric=value, header_font_size=0.4, subheader_font_size=0.15)
    else:
        params.update(
            metrics=[value], x_axis="period_end", time_grain_sqla="P1D",
            groupby=["member" if chart.by != "total" else "metric"], row_limit=10000,
            show_legend=True, legendOrientation="top", rich_tooltip=True,
            stack="Stack" if chart.stack else None, x_axis_time_format="%Y-%m-%d",
            truncate_metric=True, only_total=True,
        )  # fmt: skip
    return {
        "slice_name": chart.title, "viz_type": TYPES[chart.type], "params": params,
        "query_context": None, "cache_timeout": None, "description": None,
        "certified_by": None, "certification_details": None,
        "uuid": stable_uuid("chart", board.slug, chart.title), "dataset_uuid": ds_uuid,
        "version": VERSION,
    }  # fmt: skip


def _dashboard_yaml(board: Dashboard) -> dict[str, Any]:
    position: dict[str, Any] = {
        "DASHBOARD_VERSION_KEY": "v2",
        "ROOT_ID": {"type": "ROOT", "id": "ROOT_ID", "children": ["GRID_ID"]},
        "HEADER_ID": {"type": "HEADER", "id": "HEADER_ID", "meta": {"text": board.title}},
        "GRID_ID": {"type": "GRID", "id": "GRID_ID", "children": [], "parents": ["ROOT_ID"]},
    }
    rows: list[list[tuple[int, Chart]]] = [[]]
    for index, chart in enumerate(board.charts):  # fill rows of 12 grid columns, in order
        if sum(c.width for _, c in rows[-1]) + chart.width > 12:
            rows.append([])
        rows[-1].append((index, chart))
    for r, row in enumerate(rows):
        row_id = f"ROW-{r}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {
            "type": "ROW", "id": row_id, "children": [], "parents": ["ROOT_ID", "GRID_ID"],
            "meta": {"background": "BACKGROUND_TRANSPARENT"},
        }  # fmt: skip
        for index, chart in row:
            chart_id = f"CHART-{index}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {
                "type": "CHART", "id": chart_id, "children": [],
                "parents": ["ROOT_ID", "GRID_ID", row_id],
                "meta": {"chartId": index + 1, "width": chart.width,
                         "height": 30 if chart.type == "big_number" else 50,
                         "sliceName": chart.title,
                         "uuid": stable_uuid("chart", board.slug, chart.title)},
            }  # fmt: skip
    return {
        "dashboard_title": board.title, "slug": board.slug, "description": None, "css": "",
        "uuid": stable_uuid("dashboard", board.slug), "position": position, "published": True,
        "certified_by": "", "certification_details": "", "version": VERSION,
        "metadata": {"color_scheme": "supersetColors", "refresh_frequency": 0,
                     "expanded_slices": {}, "label_colors": {}, "timed_refresh_immune_slices": [],
                     "cross_filters_enabled": False, "native_filter_configuration": []},
    }  # fmt: skip
