"""``bizops report``: one self-contained HTML file (Plotly's JS bundle inline, no network at
view time) with the department charts of :mod:`bizops.report`, recorded in run history."""

from __future__ import annotations

import html
import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bizops.report import Chart

PIPELINE = "report"  # its name in run history (bizops.runs)
DATA_ID = "bizops-data"  # the <script type="application/json"> holding every value shown
STYLE = """
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f2d3d;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:22px}
nav a{color:#cfe3ff;margin-right:16px}main{padding:8px 24px}h2{margin:28px 0 8px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}
.card{background:#fff;border-radius:6px;box-shadow:0 1px 3px #0002;padding:8px 12px}
.note{background:#fff7e0;border-left:4px solid #e0a800;padding:4px 8px;margin:6px 0;font-size:13px}
.def{color:#666;font-size:12px;margin:2px 0}.chart{min-height:360px}
"""
RENDER = """
document.querySelectorAll('script.bizops-figure').forEach(function (s) {
  var fig = JSON.parse(s.textContent);
  Plotly.newPlot(s.dataset.target, fig.data, fig.layout,
                 {displaylogo: false, responsive: true});
});
"""


@dataclass(frozen=True)
class ReportResult:
    """What ``bizops report`` wrote."""

    path: Path
    size: int  # bytes
    charts: int  # charts drawn
    notes: int  # notes shown instead of (or beside) a chart
    seconds: float
    run_id: int | None = None


def _script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element (no ``</`` can close it early)."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def render(
    sections: list[tuple[str, list[Chart]]],
    meta: dict[str, str],
    plotly_js: str,
) -> str:
    """The whole page. ``meta``: title, project, grain, last_day, generated, in_progress."""
    esc = html.escape
    nav = "".join(f'<a href="#{esc(t.lower())}">{esc(t)}</a>' for t, _ in sections)
    body, data = [], {"meta": meta, "charts": {}}
    for title, charts in sections:
        body.append(f'<section id="{esc(title.lower())}"><h2>{esc(title)}</h2><div class="grid">')
        for chart in charts:
            key = f"{title.lower()}-{chart.spec.key}"
            data["charts"][key] = {
                "title": chart.spec.title, "values": chart.values, "notes": chart.notes,
                "drawn": chart.figure is not None,
            }  # fmt: skip
            card = [f'<div class="card" id="card-{esc(key)}"><h3>{esc(chart.spec.title)}</h3>']
            if chart.figure is not None:
                card.append(f'<div class="chart" id="chart-{esc(key)}"></div>')
                card.append(f'<script type="application/json" class="bizops-figure" '
                            f'data-target="chart-{esc(key)}">{_script_json(chart.figure)}'
                            "</script>")  # fmt: skip
            card += [f'<p class="note">{esc(n)}</p>' for n in chart.notes]
            card += [f'<p class="def">{esc(d)}</p>' for d in chart.definitions]
            body.append("".join(card) + "</div>")
        body.append("</div></section>")
    progress = (f" Periods in progress (values up to {esc(meta['last_day'])}): "
                f"{esc(meta['in_progress'])}." if meta["in_progress"] else "")  # fmt: skip
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(meta['title'])}</title><style>{STYLE}</style>"
        f"<script>{plotly_js}</script></head><body>"
        f"<header><h1>{esc(meta['title'])}</h1><div>Project {esc(meta['project'])}, by "
        f"{esc(meta['grain'])}; data up to {esc(meta['last_day'])}; generated "
        f"{esc(meta['generated'])}.{progress}</div><nav>{nav}</nav></header>"
        f"<main>{''.join(body)}</main>"
        f'<script type="application/json" id="{DATA_ID}">{_script_json(data)}</script>'
        f"<script>{RENDER}</script></body></html>\n"
    )


def last_day(url: str, schema: str) -> date:
    """The last day of the data the metrics were computed on (metric_history)."""
    import psycopg2
    from psycopg2 import sql

    from bizops.metrics import metrics_schema
    from bizops_core.errors import ConfigurationError

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            query = sql.SQL("SELECT last_day FROM {}.metric_history")
            cur.execute(query.format(sql.Identifier(metrics_schema(schema))))
            return cur.fetchone()[0]
    except psycopg2.errors.UndefinedTable:
        raise ConfigurationError(
            f"no metrics in schema {metrics_schema(schema)} yet: run `bizops transform` first"
        ) from None
    finally:
        conn.close()


def write_report(
    project: Any, out: Path, grain: str = "quarter", last: int = 8, schema: str | None = None
) -> ReportResult:
    """Write the report of ``project``'s metrics to ``out`` (atomically: a complete file or
    none), recorded in run history as the pipeline ``report``.

    Raises:
        ConfigurationError: no metrics built yet, a bad period or ``last``, or ``out`` cannot
            be written.
    """
    import plotly.offline

    from bizops import metric_catalog
    from bizops.report import build_charts, read_values
    from bizops.store import Store
    from bizops.warehouse import resolve_database_url
    from bizops_core.errors import describe

    started = time.monotonic()
    url = resolve_database_url(project.root, project.database_url)
    schema = schema or project.transform_schema or "public"
    catalog = metric_catalog.load()
    with Store(url, redact=project.redactor, project=project.project_id or "") as store:
        run_id = store.start_run(PIPELINE, str(out))
        try:
            until = last_day(url, schema)
            values = read_values(url, schema, catalog, grain, last)
            sections = build_charts(catalog, grain, values)
            in_progress = sorted({v.period for vs in values.values() for v in vs
                                  if not v.complete})  # fmt: skip
            meta = {
                "title": "BizOps report", "project": project.project_id or project.root.name,
                "grain": grain, "last_day": until.isoformat(),
                "generated": datetime.now(UTC).isoformat(timespec="seconds"),
                "in_progress": ", ".join(in_progress),
            }  # fmt: skip
            page = render(sections, meta, plotly.offline.get_plotlyjs())
            size = _write(out, page)
        except Exception as error:
            store.finish_run(run_id, "failed", None, project.redactor(describe(error)))
            raise
        charts = [c for _, cs in sections for c in cs]
        drawn = sum(c.figure is not None for c in charts)
        shown = sum(len(c.values) for c in charts)
        store.finish_run(run_id, "succeeded", {"charts": drawn, "values": shown}, None)
    return ReportResult(out, size, drawn, sum(len(c.notes) for c in charts),
                        time.monotonic() - started, run_id)  # fmt: skip


def _write(out: Path, page: str) -> int:
    from bizops_core.errors import ConfigurationError

    data = page.encode("utf-8")
    tmp = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep a shareable report from its readers
        os.replace(tmp, out)
    except OSError as error:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise ConfigurationError(f"cannot write the report to {out}: {error.strerror}") from None
    return len(data)
