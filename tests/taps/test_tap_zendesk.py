"""tap-zendesk (made by bizops new-tap): the conformance suite against its
emulator, a load through target-postgres into the warehouse, and its README tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bizops_core.conformance import TapProcess, run_suite
from bizops_sandbox.zendesk import API_KEY, create_app
from bizops_sandbox.server import serve
from bizops_sandbox.world import World
from bizops_sandbox.world_zendesk import accounts
from tap_zendesk import docs

BIN = Path(sys.executable).parent
# The checks that must pass (the suite's checks that need no second stream or token expiry).
PASSING = (
    "about-json", "about-markdown", "discover", "sync", "stdout-singer", "schema-first",
    "records-valid", "keys-present", "state", "deselected-field", "full-table",
    "incremental", "bad-config", "resume", "faults", "incremental-change", "secrets",
)  # fmt: skip


def tap_config(url: str) -> dict[str, object]:
    """Settings pointing at the emulator; small pages, so pagination is exercised."""
    return {"base_url": url, "api_key": API_KEY, "start_date": "2020-01-01T00:00:00Z",
            "page_size": 10, "max_tries": 5}  # fmt: skip


@pytest.fixture
def emulator():
    """The Zendesk emulator over a fresh small world."""
    server = serve(create_app(World.generate(seed=42, size="small")))
    try:
        yield server
    finally:
        server.stop()


def test_tap_passes_the_conformance_suite(emulator) -> None:
    tap = TapProcess([str(BIN / "tap-zendesk")], tap_config(emulator.url))
    try:
        results = run_suite(tap, emulator=emulator.url)
    finally:
        tap.close()
    statuses = {result.name: result.status for result in results}
    assert [r for r in results if r.status == "fail"] == []
    assert {name: statuses[name] for name in PASSING} == dict.fromkeys(PASSING, "pass")


def test_tap_loads_every_account_into_the_warehouse(
    emulator, tmp_path: Path, warehouse_url: str, db_schema: str, db
) -> None:
    tap_file, target_file = tmp_path / "tap.json", tmp_path / "target.json"
    tap_file.write_text(json.dumps(tap_config(emulator.url)), encoding="utf-8")
    target = {"database_url": warehouse_url, "default_target_schema": db_schema}
    target_file.write_text(json.dumps(target), encoding="utf-8")
    script = (f"{BIN / 'tap-zendesk'} --config {tap_file} | "
              f"{BIN / 'target-postgres'} --config {target_file}")  # fmt: skip
    done = subprocess.run(["/bin/bash", "-o", "pipefail", "-c", script], capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    with db.cursor() as cur:
        columns = "id, name, salesforce_account_id, updated_at"
        cur.execute(f'SELECT {columns} FROM "{db_schema}".accounts')
        loaded = sorted(cur.fetchall())
    world = World.generate(seed=42, size="small")
    expected = sorted(
        (r["id"], r["name"], r["salesforce_account_id"], r["updated_at"]) for r in accounts(world)
    )
    assert len(loaded) == len(world.records("Account", source="salesforce")) == 42
    assert loaded == expected


def test_a_wrong_api_key_fails_with_the_apis_message(emulator, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    config = {**tap_config(emulator.url), "api_key": "wrong-key-123"}
    path.write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run([str(BIN / "tap-zendesk"), "--config", str(path)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "| [config] GET v1/accounts -> HTTP 401: "
        '{"error": "unauthorized", "message": "invalid API key"}'
    )
    assert "wrong-key-123" not in done.stdout + done.stderr


def test_readme_tables_are_current() -> None:
    readme = docs.README.read_text(encoding="utf-8")
    assert docs.render(readme) == readme, "run: python -m tap_zendesk.docs"
