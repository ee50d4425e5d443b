"""ACTIVATE_VERSION retires the rows of older table versions: soft (_sdc_deleted_at) or hard."""

from __future__ import annotations

from tests.targets.conftest import DATA, RunTarget, select, state_lines


def test_older_versions_are_soft_deleted(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "versions.singer")
    assert result.returncode == 0, result.stderr
    rows = select(
        db,
        "SELECT id, v, _sdc_table_version, _sdc_deleted_at IS NOT NULL "
        f'FROM "{db_schema}".full ORDER BY id',
    )
    assert rows == [(1, "a2", 2, False), (2, "b1", 1, True), (3, "c2", 2, False)]
    assert state_lines(result.stdout) == [{"full": 2}]


def test_hard_delete_removes_older_versions(run_target: RunTarget, db, db_schema: str) -> None:
    result = run_target(DATA / "versions.singer", hard_delete=True)
    assert result.returncode == 0, result.stderr
    rows = select(db, f'SELECT id, v, _sdc_table_version FROM "{db_schema}".full ORDER BY id')
    assert rows == [(1, "a2", 2), (3, "c2", 2)]
