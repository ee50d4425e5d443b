"""The dbt profile made from the warehouse URL, and a failing transform: exit code, run history,
and the password nowhere in output or files."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import psycopg2.extensions
import pytest
import yaml

from bizops.transform import PASSWORD_ENV, profile
from bizops_core.errors import ConfigurationError

BIZOPS = str(Path(sys.executable).parent / "bizops")
SECRET = "pw-Never-Shown-7731"  # a test password, to be searched for


def test_profile_of_a_tcp_url_keeps_every_field_and_reads_the_password_from_the_env() -> None:
    url = f"postgresql://alice:{SECRET}@db.example:6543/warehouse?sslmode=require"
    assert profile(url, "analytics") == {
        "bizops": {
            "target": "warehouse",
            "outputs": {
                "warehouse": {
                    "type": "postgres", "schema": "analytics", "threads": 2,
                    "user": "alice", "host": "db.example", "port": 6543,
                    "dbname": "warehouse", "sslmode": "require",
                    "password": "{{ env_var('" + PASSWORD_ENV + "', '') }}",
                }
            },
        }
    }  # fmt: skip


def test_profile_of_the_embedded_warehouse_uses_its_unix_socket() -> None:
    output = profile("postgresql://postgres:@/postgres?host=/work/p/.bizops/pg")["bizops"]
    assert output["outputs"]["warehouse"] == {
        "type": "postgres", "schema": "public", "threads": 2, "user": "postgres",
        "dbname": "postgres", "host": "/work/p/.bizops/pg", "port": 5432,
        "password": "{{ env_var('" + PASSWORD_ENV + "', '') }}",
    }  # fmt: skip


def test_profile_refuses_a_url_option_dbt_cannot_take() -> None:
    with pytest.raises(ConfigurationError) as caught:
        profile(f"postgresql://u:{SECRET}@h/db?options=-csearch_path%3Dx&target_session_attrs=any")
    assert str(caught.value) == (
        "the warehouse URL has options dbt cannot use: options, target_session_attrs"
    )


def test_a_failing_model_exits_7_is_recorded_and_never_shows_the_password(
    warehouse_url: str, db, tmp_path: Path
) -> None:
    params = psycopg2.extensions.parse_dsn(warehouse_url)
    if "password" not in params and os.environ.get("BIZOPS_TEST_DATABASE_URL"):
        pytest.skip("an external test warehouse without a password")
    # the embedded server trusts local connections: any password is accepted, and must be hidden
    secret = params.get("password") or SECRET
    url = psycopg2.extensions.make_dsn(warehouse_url, password=secret)
    project_id = f"t_{uuid.uuid4().hex[:10]}"
    project = {
        "version": 1, "project_id": project_id,
        "taps": {"tap-zuora": {"config": {}}}, "targets": {"target-postgres": {}},
        "pipelines": [{"name": "zuora", "tap": "tap-zuora", "target": "target-postgres",
                       "target_config": {"default_target_schema": f"{project_id}_missing"}}],
    }  # fmt: skip
    (tmp_path / "bizops.yml").write_text(yaml.safe_dump(project), encoding="utf-8")
    env = {**os.environ, "BIZOPS_DATABASE_URL": url, "BIZOPS_TRANSFORM_SCHEMA": project_id}
    run = subprocess.run(
        [BIZOPS, "transform", "-p", str(tmp_path), "--select", "stg_zuora__refund"],
        env=env, capture_output=True, timeout=300, check=False,
    )  # fmt: skip
    try:
        stderr = run.stderr.decode()
        assert run.returncode == 7, stderr
        assert run.stdout == b""
        assert stderr.endswith(
            "bizops: [transform] 1 dbt node(s) failed: stg_zuora__refund (error)\n"
        )
        assert f'relation "{project_id}_missing.refund" does not exist' in stderr
        with db.cursor() as cur:
            cur.execute(
                "SELECT status, error FROM bizops.runs "
                "WHERE project = %s AND pipeline = 'transform'",
                (project_id,),
            )
            assert cur.fetchall() == [("failed", "1 dbt node(s) failed: stg_zuora__refund (error)")]
        written = [p for p in (tmp_path / ".bizops" / "transform").rglob("*") if p.is_file()]
        assert any(p.name == "dbt.log" for p in written)
        assert secret not in stderr
        assert [p for p in written if secret.encode() in p.read_bytes()] == []
    finally:
        with db.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{project_id}_staging" CASCADE')


FISCAL = """
import sys
from pathlib import Path
from bizops.transform import run_dbt
result = run_dbt(sys.argv[1], Path(sys.argv[2]), select=("dim_date",), schema=sys.argv[3],
                 variables={"fiscal_year_start_month": int(sys.argv[4])})
sys.exit(0 if result.success else 7)
"""


@pytest.mark.parametrize(
    ("start_month", "expected"),
    [
        (1, [(date(2024, 1, 31), 2024, 1, 1), (date(2024, 2, 1), 2024, 1, 2),
             (date(2024, 12, 31), 2024, 4, 12)]),
        (10, [(date(2024, 1, 31), 2024, 2, 4), (date(2024, 9, 30), 2024, 4, 12),
              (date(2024, 10, 1), 2025, 1, 1)]),
    ],
)  # fmt: skip
def test_dim_date_fiscal_year_starts_in_the_configured_month(
    warehouse_url: str, db, tmp_path: Path, start_month: int, expected: list
) -> None:
    schema = f"t_{uuid.uuid4().hex[:10]}"
    run = subprocess.run(
        [sys.executable, "-c", FISCAL, warehouse_url, str(tmp_path), schema, str(start_month)],
        capture_output=True, timeout=300, check=False,
    )  # fmt: skip
    try:
        assert run.returncode == 0, run.stderr.decode()
        assert run.stdout == b""
        with db.cursor() as cur:
            cur.execute(
                f'SELECT date_day, fiscal_year, fiscal_quarter, fiscal_month FROM "{schema}_common"'
                ".dim_date WHERE date_day = ANY(%s) ORDER BY date_day",
                ([day for day, *_ in expected],),
            )
            assert cur.fetchall() == expected
    finally:
        with db.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}_common" CASCADE')
