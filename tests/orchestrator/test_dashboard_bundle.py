"""Dashboards as code: the shipped definitions, the v1 bundle generated from them (stable,
password-free) and `bizops dashboards` refusing to start without the admin's password."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from bizops import dashboard_bundle as lib
from bizops.metric_catalog import load as catalog
from bizops_core.errors import ConfigurationError

BIZOPS = str(Path(sys.executable).parent / "bizops")
SOCKET_URL = "postgresql://postgres:@/postgres?host=/srv/bizops/.bizops/pg"
PROJECT = """\
version: 1
warehouse:
  database_url: "{url}"
transform:
  schema: analytics
taps:
  tap-zuora: {{}}
targets:
  target-postgres: {{}}
pipelines:
  - {{name: zuora, tap: tap-zuora, target: target-postgres}}
"""


def read(bundle: bytes) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return {name: yaml.safe_load(archive.read(name)) for name in archive.namelist()}


def test_one_dashboard_per_department_of_the_seeds() -> None:
    assert [(d.title, d.slug, len(d.charts)) for d in lib.load()] == [
        ("Executive", "executive", 6),
        ("Finance", "finance", 6),
        ("Marketing", "marketing", 6),
        ("Sales", "sales", 6),
    ]


def test_every_chart_reads_a_built_metric_at_a_grain_and_breakdown_it_has() -> None:
    built = {m.name: m for m in catalog() if m.built}
    wrong = [
        (board.slug, chart.title, name)
        for board in lib.load()
        for chart in board.charts
        for name in chart.metrics
        if name not in built
        or chart.grain not in built[name].grains
        or (chart.by != "total" and chart.by not in built[name].dimensions)
    ]
    assert wrong == []


def test_the_bundle_holds_one_database_one_dataset_and_every_chart_and_dashboard() -> None:
    files = read(lib.bundle(lib.load(), SOCKET_URL, "analytics_metrics"))
    kinds = sorted({name.split("/")[1] for name in files})
    assert kinds == ["charts", "dashboards", "databases", "datasets", "metadata.yaml"]
    assert sum(name.startswith("bizops_dashboards/charts/") for name in files) == 24
    assert files["bizops_dashboards/metadata.yaml"] == {
        "version": "1.0.0", "type": "Dashboard", "timestamp": "2024-01-01T00:00:00+00:00",
    }  # fmt: skip
    dataset = files["bizops_dashboards/datasets/BizOps_warehouse/metric_values.yaml"]
    assert dataset["schema"] == "analytics_metrics"
    assert 'FROM "analytics_metrics".metric_values AS v' in dataset["sql"]


def test_the_same_definitions_give_the_same_bytes_and_uuids() -> None:
    first = lib.bundle(lib.load(), SOCKET_URL, "metrics")
    assert lib.bundle(lib.load(), SOCKET_URL, "metrics") == first
    board = read(first)["bizops_dashboards/dashboards/executive.yaml"]
    # uuid5 of "dashboard/executive": the same on every machine, forever
    assert board["uuid"] == "6a490450-98f2-5423-943a-ed32a9001535"
    charts = [c["meta"]["uuid"] for c in board["position"].values() if isinstance(c, dict)
              and c.get("type") == "CHART"]  # fmt: skip
    assert charts == [lib.stable_uuid("chart", "executive", c.title) for c in lib.load()[0].charts]


def test_the_embedded_warehouse_is_reached_over_its_socket() -> None:
    database = read(lib.bundle(lib.load(), SOCKET_URL, "metrics"))[
        "bizops_dashboards/databases/BizOps_warehouse.yaml"
    ]
    assert database["sqlalchemy_uri"] == (
        "postgresql+psycopg2://postgres@/postgres?host=/srv/bizops/.bizops/pg"
    )
    assert database["expose_in_sqllab"] is True


def test_a_warehouse_password_is_never_written_into_the_bundle() -> None:
    url = "postgresql://bob:Pa55-w0rd@db.example:5433/wh?sslmode=require"
    bundle = lib.bundle(lib.load(), url, "metrics")
    assert b"Pa55-w0rd" not in bundle
    assert (
        read(bundle)["bizops_dashboards/databases/BizOps_warehouse.yaml"]["sqlalchemy_uri"]
        == "postgresql+psycopg2://bob@db.example:5433/wh?sslmode=require"
    )


def test_the_big_number_reads_the_latest_complete_period_only() -> None:
    arr = lib.load()[0].charts[0]
    assert lib.chart_filter(arr) == (
        "metric IN ('arr') AND grain = 'quarter' AND dimension = 'total' AND latest_complete"
    )


@pytest.mark.parametrize(
    ("chart", "message"),
    [
        ("{title: X, type: pie, metric: arr, grain: quarter}",
         "bad.yml: charts[0]: type 'pie' is not one of big_number, line, bar"),
        ("{title: X, type: line, metrics: [\"arr'; DROP TABLE x; --\"], grain: quarter}",
         "bad.yml: charts[0]: metrics must be metric names (got [\"arr'; DROP TABLE x; --\"])"),
        ("{title: X, type: big_number, metrics: [arr, mrr], grain: quarter}",
         "bad.yml: charts[0]: a big_number shows one metric's total"),
        ("{title: X, type: bar, metric: arr, grain: week}",
         "bad.yml: charts[0]: grain 'week' is not one of month, quarter, fiscal-year"),
    ],
)  # fmt: skip
def test_a_bad_definition_is_refused_naming_file_chart_and_field(
    tmp_path: Path, chart: str, message: str
) -> None:
    (tmp_path / "bad.yml").write_text(f"title: Bad\nslug: bad\ncharts:\n  - {chart}\n")
    with pytest.raises(ConfigurationError) as caught:
        lib.load(tmp_path)
    assert str(caught.value) == message


def test_up_without_the_admin_password_names_the_variable_and_installs_nothing(
    tmp_path: Path,
) -> None:
    (tmp_path / "bizops.yml").write_text(PROJECT.format(url=SOCKET_URL))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIZOPS_SUPERSET")}
    done = subprocess.run(
        [BIZOPS, "dashboards", "up", "-p", str(tmp_path)], capture_output=True, text=True,
        env=env, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "bizops: [config] set BIZOPS_SUPERSET_ADMIN_PASSWORD to the password of the Superset "
        "admin (user admin, or BIZOPS_SUPERSET_ADMIN_USER)\n"
    )
    assert not (tmp_path / ".bizops").exists()


def test_export_writes_the_bundle_that_up_imports(tmp_path: Path) -> None:
    (tmp_path / "bizops.yml").write_text(PROJECT.format(url=SOCKET_URL))
    out = tmp_path / "out.zip"
    done = subprocess.run(
        [BIZOPS, "dashboards", "export", "-p", str(tmp_path), "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, f"{out}\n", "")
    assert out.read_bytes() == lib.bundle(lib.load(), SOCKET_URL, "analytics_metrics")


def test_status_of_a_project_without_superset(tmp_path: Path) -> None:
    done = subprocess.run(
        [BIZOPS, "dashboards", "status", "-p", str(tmp_path)], capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "stopped\tnot installed\n", "")


def test_the_arr_bridge_draws_contraction_and_churn_below_zero() -> None:
    bridge = next(c for c in lib.load()[0].charts if c.title == "ARR bridge by quarter")
    assert lib.value_sql(bridge) == (
        "SUM(CASE WHEN metric IN ('contraction_arr', 'churn_arr') THEN -value ELSE value END)"
    )
