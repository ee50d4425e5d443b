"""ACTIVATE_VERSION retires the rows of older table versions: soft (_sdc_deleted_at) or hard."""

from __future__ import annotations

from pathlib import Path

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


def test_with_a_state_table_versions_are_activated_with_the_state_after_them(
    run_target: RunTarget, db, db_schema: str
) -> None:
    result = run_target(DATA / "versions.singer", state_table="bizops_state", state_id="p")
    assert result.returncode == 0, result.stderr
    rows = select(
        db,
        "SELECT id, v, _sdc_table_version, _sdc_deleted_at IS NOT NULL "
        f'FROM "{db_schema}".full ORDER BY id',
    )
    assert rows == [(1, "a2", 2, False), (2, "b1", 1, True), (3, "c2", 2, False)]


def test_with_a_state_table_a_failed_input_activates_no_version_past_the_last_state(
    run_target: RunTarget, db, db_schema: str, tmp_path: Path
) -> None:
    # version 1 is loaded and activated before the STATE; version 2's rows and its activation
    # follow it, then the input breaks: the re-run sends version 2 again, so none of it stays
    lines = (DATA / "versions.singer").read_text().splitlines()
    broken = [*lines[:6], '{"type": "STATE", "value": {"full": 1}}', *lines[6:9], '{"type"']
    source = tmp_path / "versions_broken.singer"
    source.write_text("\n".join(broken) + "\n")
    result = run_target(source, state_table="bizops_state", state_id="p")
    assert result.returncode == 65, result.stderr
    rows = select(
        db,
        "SELECT id, v, _sdc_table_version, _sdc_deleted_at IS NOT NULL "
        f'FROM "{db_schema}".full ORDER BY id',
    )
    assert rows == [(1, "a1", 1, False), (2, "b1", 1, False), (3, "c1", 1, False)]
    assert select(db, f'SELECT state FROM "{db_schema}".bizops_state') == [({"full": 1},)]
    assert state_lines(result.stdout) == [{"full": 1}]
