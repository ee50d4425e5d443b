"""Meltano 4.4 installs a tap made by `bizops new-tap --standalone` by `pip_url` (its wheel and
the bizops wheel, as CONTRIBUTING.md's "Publishing a tap as its own package" says) and runs it
into our target-postgres: every record of the tap's emulator lands in the warehouse."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from bizops_sandbox.world import World
from tests.orchestrator.test_new_tap_standalone import (  # noqa: F401 - a fixture
    EMULATOR,
    _wheels,
    standalone,
)
from tests.outside.meltano_support import Meltano, snippet

API_KEY = "sandbox-api-key"


def _project(pip_url: str) -> str:
    """A meltano.yml: the generated tap as a custom extractor installed by ``pip_url``, and
    CONTRIBUTING.md's target-postgres (run by ``executable`` from our venv)."""
    (loader,) = snippet()["plugins"]["loaders"]
    extractor = {
        "name": "tap-demo-ext", "namespace": "tap_demo_ext", "pip_url": pip_url,
        "executable": "tap-demo-ext", "capabilities": ["catalog", "state", "discover", "about"],
        "settings": [{"name": "base_url"}, {"name": "api_key", "kind": "password",
                                            "sensitive": True}, {"name": "start_date"}],
        "config": {"start_date": "2020-01-01T00:00:00Z"},
    }  # fmt: skip
    project = {
        "default_environment": "dev", "environments": [{"name": "dev"}],
        "send_anonymous_usage_stats": False,
        "plugins": {"extractors": [extractor], "loaders": [loader]},
    }  # fmt: skip
    return yaml.safe_dump(project, sort_keys=False)


def test_meltano_installs_the_generated_tap_by_pip_url_and_loads_every_record(
    standalone: Path,  # noqa: F811 - the fixture imported above
    db_schema: str,
    warehouse_url: str,
    db,
    tmp_path: Path,
) -> None:
    folder = _wheels(standalone)
    wheels = ("tap_demo_ext-0.1.0-py3-none-any.whl", "bizops-0.1.0-py3-none-any.whl")
    pip_url = " ".join(str(folder / wheel) for wheel in wheels)
    emulator = subprocess.Popen([sys.executable, "-c", EMULATOR], cwd=standalone,
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert emulator.stdout is not None
        url = emulator.stdout.readline().strip()
        env = {"TAP_DEMO_EXT_BASE_URL": url, "TAP_DEMO_EXT_API_KEY": API_KEY,
               "TAP_DEMO_EXT__LOAD_SCHEMA": db_schema,
               "TARGET_POSTGRES_DATABASE_URL": warehouse_url}  # fmt: skip
        meltano = Meltano(tmp_path, env)  # our venv on PATH: target-postgres by executable
        # this project's meltano.yml instead of CONTRIBUTING.md's (its loader is reused)
        (tmp_path / "meltano.yml").write_text(_project(pip_url), encoding="utf-8")
        installed = meltano.ok("install", "--plugin-type", "extractor", "tap-demo-ext")
        assert "Installed extractor 'tap-demo-ext'" in installed.stderr
        venv_tap = tmp_path / ".meltano" / "extractors" / "tap-demo-ext" / "venv" / "bin"
        assert (venv_tap / "tap-demo-ext").is_file()  # from the wheel: not on our PATH
        run = meltano.ok("run", "tap-demo-ext", "target-postgres")
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    assert API_KEY not in run.stdout + run.stderr
    world = World.generate(seed=42, size="small")
    expected = sorted(("acc_" + a["Id"], a["Name"], a["Id"])
                      for a in world.records("Account", source="salesforce"))  # fmt: skip
    with db.cursor() as cur:
        cur.execute(f'SELECT id, name, salesforce_account_id FROM "{db_schema}".accounts')
        assert sorted(cur.fetchall()) == expected
    assert len(expected) == 42
