"""`bizops dashboards up` against a real Superset: it serves, its PostgreSQL driver loads (a
query through Superset returns the warehouse's value), the dashboards and charts of the repo
are imported once, and `up` again updates them in place."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import requests

from bizops import dashboard_bundle
from tests.dashboards import marts
from tests.dashboards.conftest import ADMIN, PROJECT, PROJECT_DIR, SECRET_KEY, Served, bizops

HOME = PROJECT_DIR / ".bizops" / "superset"
TITLES = ["Executive", "Finance", "Marketing", "Sales"]


def latest_complete(metric: str, grain: str = "quarter") -> Decimal:
    """The value of ``metric`` at its latest period ending by the marts' last day."""
    rows = [r for r in marts.rows() if (r["metric"], r["grain"], r["dimension"]) ==
            (metric, grain, "total") and r["period_end"] <= marts.LAST_DAY]  # fmt: skip
    return Decimal(max(rows, key=lambda r: r["period_end"])["value"])


def test_up_serves_and_prints_the_url(served: Served) -> None:
    lines = served.up.stdout.splitlines()
    assert re.fullmatch(r"Superset started \(pid \d+\) in \d+s", lines[0])
    assert lines[1:] == [f"dashboards: {', '.join(TITLES)}", f"{served.base}/"]
    assert requests.get(f"{served.base}/health", timeout=10).text == "OK"


def test_status_shows_the_running_server(served: Served) -> None:
    done = bizops("dashboards", "status", "-p", str(PROJECT_DIR), env=served.env)
    pid = (HOME / "gunicorn.pid").read_text().split()[0]
    assert done.stdout == f"running\tpid {pid}\t{served.base}/\tinstalled\n"


def test_the_postgresql_driver_loads_and_sql_lab_reads_the_warehouse(served: Served) -> None:
    api = served.session()
    databases = api.get(f"{served.base}/api/v1/database/", timeout=60).json()["result"]
    assert [d["database_name"] for d in databases] == ["BizOps warehouse"]
    done = api.post(
        f"{served.base}/api/v1/sqllab/execute/",
        json={"database_id": databases[0]["id"], "runAsync": False, "sql": (
            f"SELECT value FROM {served.schema}.metric_values WHERE metric = 'arr' "
            "AND grain = 'quarter' AND period_label = 'FY2025-Q3'")},
        timeout=120,
    )  # fmt: skip
    assert (done.status_code, done.json()["data"]) == (200, [{"value": 12345678.99}])


def test_the_arr_big_number_chart_gives_the_latest_complete_quarter(served: Served) -> None:
    api = served.session()
    charts = api.get(f"{served.base}/api/v1/chart/", params={"q": "(page_size:100)"}, timeout=60)
    chart = next(
        c for c in charts.json()["result"] if c["slice_name"] == "ARR (latest complete quarter)"
    )
    detail = api.get(f"{served.base}/api/v1/chart/{chart['id']}", timeout=60).json()["result"]
    params = json.loads(detail["params"])
    data = api.post(
        f"{served.base}/api/v1/chart/data",
        json={
            "datasource": {"id": _dataset_id(api, served), "type": "table"},
            "queries": [{"metrics": [params["metric"]], "columns": [], "row_limit": 10,
                         "extras": {"where": params["adhoc_filters"][0]["sqlExpression"]}}],
            "result_format": "json", "result_type": "full",
        },
        timeout=120,
    )  # fmt: skip
    assert data.status_code == 200, data.text
    assert data.json()["result"][0]["data"] == [{"value": 12345678.99}]
    assert latest_complete("arr") == Decimal("12345678.99")


def _dataset_id(api: requests.Session, served: Served) -> int:
    datasets = api.get(f"{served.base}/api/v1/dataset/", timeout=60).json()["result"]
    assert [(d["table_name"], d["schema"]) for d in datasets] == [("metric_values", served.schema)]
    return datasets[0]["id"]


def test_every_dashboard_and_chart_of_the_repo_is_imported_once(served: Served) -> None:
    assert imported(served) == expected()


def test_up_again_updates_in_place_without_duplicates(served: Served, warehouse_url: str) -> None:
    """A second `up` with another transform schema: the dataset follows it (datasets and charts
    are overwritten by UUID, not skipped), nothing is duplicated, the server keeps running."""
    pid = (HOME / "gunicorn.pid").read_text().split()[0]
    other = served.schema.removesuffix("_metrics") + "b"
    marts.create(warehouse_url, f"{other}_metrics")
    try:
        (PROJECT_DIR / "bizops.yml").write_text(PROJECT.format(schema=other), "utf-8")
        again = bizops(
            "dashboards", "up", "-p", str(PROJECT_DIR), "--port", str(served.port), env=served.env
        )
        assert again.returncode == 0, again.stderr
        assert re.fullmatch(
            rf"Superset already running, dashboards updated \(pid {pid}\) in \d+s",
            again.stdout.splitlines()[0],
        )
        api = served.session()
        datasets = api.get(f"{served.base}/api/v1/dataset/", timeout=60).json()["result"]
        assert [(d["table_name"], d["schema"]) for d in datasets] == [
            ("metric_values", f"{other}_metrics")
        ]
        assert imported(served) == expected()
    finally:
        prefix = served.schema.removesuffix("_metrics")
        (PROJECT_DIR / "bizops.yml").write_text(PROJECT.format(schema=prefix), "utf-8")
        marts.drop(warehouse_url, f"{other}_metrics")


def test_no_secret_reaches_the_output_the_logs_or_the_home(served: Served) -> None:
    texts = [served.up.stdout, served.up.stderr]
    texts += [p.read_text(errors="replace") for p in HOME.glob("*") if p.is_file()]
    for secret in (ADMIN[1], SECRET_KEY):
        assert [t for t in texts if secret in t] == []


def imported(served: Served) -> dict[str, list[str]]:
    """Each dashboard's title → the names of its charts, as Superset lists them."""
    api = served.session()
    boards = api.get(f"{served.base}/api/v1/dashboard/", params={"q": "(page_size:100)"},
                     timeout=60).json()["result"]  # fmt: skip
    out = {}
    for board in boards:
        charts = api.get(f"{served.base}/api/v1/dashboard/{board['id']}/charts", timeout=60)
        out[board["dashboard_title"]] = sorted(c["slice_name"] for c in charts.json()["result"])
    total = api.get(f"{served.base}/api/v1/chart/", params={"q": "(page_size:100)"}, timeout=60)
    out["(all charts)"] = [str(total.json()["count"])]
    return out


def expected() -> dict[str, list[str]]:
    boards = dashboard_bundle.load()
    out = {b.title: sorted(c.title for c in b.charts) for b in boards}
    out["(all charts)"] = [str(sum(len(b.charts) for b in boards))]
    return out


def test_down_stops_it_and_up_serves_again_with_the_same_dashboards(served: Served) -> None:
    down = bizops("dashboards", "down", "-p", str(PROJECT_DIR), env=served.env)
    assert (down.returncode, down.stdout) == (0, "Superset stopped\n")
    status = bizops("dashboards", "status", "-p", str(PROJECT_DIR), env=served.env)
    assert status.stdout == "stopped\tinstalled\n"
    up = bizops(
        "dashboards", "up", "-p", str(PROJECT_DIR), "--port", str(served.port), env=served.env
    )
    assert up.returncode == 0, up.stderr
    assert up.stdout.startswith("Superset started (pid ")
    assert imported(served) == expected()
