"""`bizops new-tap NAME --standalone`: a project of its own whose tests and lint pass, built as
a wheel and installed by `pip_url` (with the bizops wheel, for bizops_core) in a bizops.yml,
whose `bizops run` loads every record its emulator serves."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bizops_sandbox.world import World
from tests.orchestrator.test_new_tap import REPO, new_tap, overlay_venv

BIN = Path(sys.executable).parent
CACHE = REPO / ".bizops" / "newtap-standalone"
# What the two wheels are built from: a change to any of it builds and installs them again.
SOURCES = ("core", "orchestrator", "sandbox", "schemas", "taps", "targets", "transform",
           "dashboards", "setup.cfg", "pyproject.toml")  # fmt: skip
EMULATOR = (
    "import sys, threading\n"
    "from bizops_sandbox.server import serve\n"
    "from bizops_sandbox.world import World\n"
    "from tests.emulator import create_app\n"
    "server = serve(create_app(World.generate(seed=42, size='small')))\n"
    "sys.stdout.write(server.url + '\\n'); sys.stdout.flush()\n"
    "threading.Event().wait()\n"
)


def _digest() -> str:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", *SOURCES],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    digest = hashlib.sha256()
    for name in sorted(filter(None, listed)):
        if (REPO / name).is_file():
            digest.update(name.encode() + b"\0" + (REPO / name).read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tap-demo-ext generated as its own project."""
    dest = tmp_path_factory.mktemp("standalone") / "tap-demo-ext"
    done = new_tap(REPO, "demo_ext", "--standalone", "--dest", str(dest))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"bizops new-tap: 14 files written under {dest}"
    return dest


def test_the_standalone_project_passes_its_own_tests_and_the_lint(
    standalone: Path, tmp_path: Path
) -> None:
    files = sorted(str(p.relative_to(standalone)) for p in standalone.rglob("*") if p.is_file())
    assert files == [
        ".gitignore", "README.md", "pyproject.toml", "tap_demo_ext/__init__.py",
        "tap_demo_ext/client.py", "tap_demo_ext/config.py", "tap_demo_ext/docs.py",
        "tap_demo_ext/schemas/accounts.json", "tap_demo_ext/streams.py", "tap_demo_ext/tap.py",
        "tests/__init__.py", "tests/emulator.py", "tests/test_tap_demo_ext.py", "tests/world.py",
    ]  # fmt: skip
    # installed editable as its README says, without fetching its dependencies again
    venv = overlay_venv(tmp_path / "venv", standalone, with_bizops=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=standalone, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.splitlines()[-1].startswith("2 passed")
    for command in (["check", "."], ["format", "--check", "."]):
        lint = subprocess.run([str(BIN / "ruff"), *command], cwd=standalone,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert lint.returncode == 0, lint.stdout + lint.stderr


def _wheels(standalone: Path) -> Path:
    """The project folder of this test, with the tap's and bizops' wheels built in it; kept
    under .bizops/ while the sources are unchanged, so that bizops reuses the plugin's venv."""
    folder = CACHE / _digest()
    if (folder / "wheels-built").is_file():
        return folder
    shutil.rmtree(CACHE, ignore_errors=True)  # the venvs of older sources
    folder.mkdir(parents=True)
    for source in (standalone, REPO):
        subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(folder),
                        str(source)], check=True, capture_output=True)  # fmt: skip
    (folder / "wheels-built").write_text("")
    return folder


def test_the_built_wheel_installed_by_pip_url_loads_its_stream_with_bizops_run(
    standalone: Path, warehouse_url: str, db_schema: str, db
) -> None:
    folder = _wheels(standalone)
    tap_wheel = folder / "tap_demo_ext-0.1.0-py3-none-any.whl"
    bizops_wheel = folder / "bizops-0.1.0-py3-none-any.whl"
    assert tap_wheel.is_file() and bizops_wheel.is_file()
    emulator = subprocess.Popen([sys.executable, "-c", EMULATOR], cwd=standalone,
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert emulator.stdout is not None
        url = emulator.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        project = {
            "version": 1,
            "taps": {"tap-demo-ext": {
                "pip_url": f"{tap_wheel} {bizops_wheel}",
                "config": {"base_url": url, "api_key": "${DEMO_EXT_API_KEY}",
                           "start_date": "2020-01-01T00:00:00Z"}}},
            "targets": {"target-postgres": {"config": {"default_target_schema": db_schema}}},
            # a pipeline of its own per test: the folder (and so the project) is reused
            "pipelines": [{"name": db_schema, "tap": "tap-demo-ext", "target": "target-postgres"}],
        }  # fmt: skip
        (folder / "bizops.yml").write_text(yaml.safe_dump(project), encoding="utf-8")
        env = {**os.environ, "BIZOPS_DATABASE_URL": warehouse_url,
               "DEMO_EXT_API_KEY": "sandbox-api-key"}  # fmt: skip
        run = subprocess.run(
            [str(BIN / "bizops"), "run", db_schema, "-p", str(folder), "--log-format", "plain"],
            env=env, capture_output=True, text=True, timeout=900, check=False,
        )  # fmt: skip
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    assert run.returncode == 0, run.stderr[-3000:]
    venv = folder / ".bizops" / "venvs" / "tap-demo-ext"
    assert (venv / "bin" / "tap-demo-ext").is_file()  # installed from the wheel, by pip_url
    world = World.generate(seed=42, size="small")
    expected = sorted(("acc_" + a["Id"], a["Name"], a["Id"], a["LastModifiedDate"])
                      for a in world.records("Account", source="salesforce"))  # fmt: skip
    with db.cursor() as cur:
        cur.execute(
            f'SELECT id, name, salesforce_account_id, updated_at FROM "{db_schema}".accounts'
        )
        assert sorted(cur.fetchall()) == expected
    assert len(expected) == 42


def test_a_destination_that_is_not_empty_is_refused_and_left_alone(tmp_path: Path) -> None:
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    done = new_tap(REPO, "demo_ext", "--standalone", "--dest", str(dest))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"bizops: [config] new-tap: {dest} exists and is not an empty folder; nothing written\n"
    )
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]
