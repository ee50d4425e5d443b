"""`bizops new-tap NAME`, run in a scratch copy of the repository: what it writes and edits, the
generated tap's own tests and lint passing there, `bizops run` loading its template stream from
its emulator and `bizops transform` building its staging model; a bad name, a second run and a
lost marker fail with one line and write nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bizops_sandbox.world import World

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WRITTEN = [
    "sandbox/scratch_src.py",
    "sandbox/world_scratch_src.py",
    "schemas/scratch_src/accounts.json",
    "taps/tap_scratch_src/README.md",
    "taps/tap_scratch_src/__init__.py",
    "taps/tap_scratch_src/client.py",
    "taps/tap_scratch_src/config.py",
    "taps/tap_scratch_src/docs.py",
    "taps/tap_scratch_src/streams.py",
    "taps/tap_scratch_src/tap.py",
    "tests/taps/test_tap_scratch_src.py",
    "transform/models/staging/scratch_src/_scratch_src__models.yml",
    "transform/models/staging/scratch_src/stg_scratch_src__accounts.sql",
]
EDITED = ["setup.cfg", "pyproject.toml", "transform/models/sources/sources.yml", "README.md"]


@dataclass(frozen=True)
class Scratch:
    """A copy of the repository with source scratch_src generated and installed in its own venv."""

    root: Path
    venv: Path
    output: str


def copy_repo(dest: Path) -> Path:
    """The files git tracks (and new ones it does not ignore) copied to ``dest``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def new_tap(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "bizops"), "new-tap", *args], cwd=root,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def tree_digest(root: Path) -> str:
    """A digest of every file's path and bytes under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    """The copy, scratch_src generated, and a venv that installs the copy (editable, so the
    generated tap, its emulator and its schema come from the copy) over this venv's packages
    (a path entry, so none of them is installed again)."""
    root = copy_repo(tmp_path_factory.mktemp("repo"))
    done = new_tap(root, "scratch_src")
    assert done.returncode == 0, done.stderr
    return Scratch(root, overlay_venv(root.parent / "venv", root), done.stdout)


def overlay_venv(venv: Path, project: Path, with_bizops: bool = False) -> Path:
    """A venv at ``venv`` over this venv's packages (singer-sdk, pytest, dbt: a path entry, so
    nothing is installed again) with ``project`` installed editable; ``with_bizops``: this
    checkout's bizops too (its editable install's .pth is processed)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    parent = sysconfig.get_paths()["purelib"]
    line = f"import site; site.addsitedir({parent!r})" if with_bizops else parent
    (site / "bizops-parent.pth").write_text(line + "\n")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--no-deps", "-e", str(project)], check=True, capture_output=True)  # fmt: skip
    return venv


def test_new_tap_writes_the_source_and_edits_the_shared_files_above_their_markers(
    scratch: Scratch,
) -> None:
    lines = scratch.output.splitlines()
    assert lines[0] == "bizops new-tap: 13 files written under ."
    assert lines[1:14] == [f"  + {path}" for path in WRITTEN]
    assert lines[14:18] == [f"  ~ {path}" for path in EDITED]
    for path in WRITTEN:
        assert (scratch.root / path).is_file(), path
    setup = (scratch.root / "setup.cfg").read_text().splitlines()
    assert setup[setup.index("    # bizops new-tap: packages") - 1] == "    tap_scratch_src"
    assert "    tap_scratch_src = taps/tap_scratch_src" in setup
    assert "    tap-scratch-src = tap_scratch_src.tap:TapScratchSrc.cli" in setup
    original = (REPO / "setup.cfg").read_text().splitlines()
    assert sorted(set(setup) - set(original)) == [
        "    tap-scratch-src = tap_scratch_src.tap:TapScratchSrc.cli",
        "    tap_scratch_src",
        "    tap_scratch_src = taps/tap_scratch_src",
    ]
    assert len(setup) == len(original) + 3
    sources = yaml.safe_load((scratch.root / "transform/models/sources/sources.yml").read_text())
    assert sources["sources"][-1]["name"] == "scratch_src"
    assert [t["name"] for t in sources["sources"][-1]["tables"]] == ["accounts"]


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **extra}


def test_the_generated_tap_passes_its_own_tests_and_the_lint(
    scratch: Scratch, warehouse_url: str
) -> None:
    done = subprocess.run(
        [str(scratch.venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/taps/test_tap_scratch_src.py"],
        cwd=scratch.root, env=_env(BIZOPS_TEST_DATABASE_URL=warehouse_url),
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.splitlines()[-1].startswith("4 passed")
    for command in (["check", "."], ["format", "--check", "."]):
        lint = subprocess.run([str(BIN / "ruff"), *command], cwd=scratch.root,
                              capture_output=True, text=True, check=False)  # fmt: skip
        assert lint.returncode == 0, lint.stdout + lint.stderr


def test_bizops_run_loads_the_template_stream_and_transform_builds_its_staging(
    scratch: Scratch, tmp_path: Path, warehouse_url: str, db_schema: str, db
) -> None:
    bin_dir = scratch.venv / "bin"
    project = {
        "version": 1,
        "taps": {"tap-scratch-src": {"config": {
            "api_key": "${SCRATCH_SRC_API_KEY}", "start_date": "2020-01-01T00:00:00Z",
            "page_size": 10}}},
        "targets": {"target-postgres": {"config": {"default_target_schema": db_schema}}},
        "pipelines": [{"name": db_schema, "tap": "tap-scratch-src", "target": "target-postgres"}],
    }  # fmt: skip
    sandbox = subprocess.Popen(
        [str(bin_dir / "bizops-sandbox"), "--log-level", "WARNING", "scratch_src", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert sandbox.stdout is not None
        url = sandbox.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        project["taps"]["tap-scratch-src"]["config"]["base_url"] = url
        (tmp_path / "bizops.yml").write_text(yaml.safe_dump(project), encoding="utf-8")
        env = _env(BIZOPS_DATABASE_URL=warehouse_url, SCRATCH_SRC_API_KEY="sandbox-api-key")
        run = subprocess.run(
            [str(bin_dir / "bizops"), "run", db_schema, "-p", str(tmp_path),
             "--log-format", "plain"],
            env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
    assert run.returncode == 0, run.stderr[-3000:]
    world = World.generate(seed=42, size="small")
    expected = sorted(("acc_" + a["Id"], a["Name"], a["Id"])
                      for a in world.records("Account", source="salesforce"))  # fmt: skip
    with db.cursor() as cur:
        cur.execute(f'SELECT id, name, salesforce_account_id FROM "{db_schema}".accounts')
        assert sorted(cur.fetchall()) == expected
    assert len(expected) == 42

    layers = f"{db_schema}_x"
    try:
        built = subprocess.run(
            [str(bin_dir / "bizops"), "transform", "-p", str(tmp_path), "--schema", layers,
             "--select", "stg_scratch_src__accounts"],
            env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert built.returncode == 0, built.stderr[-3000:]
        with db.cursor() as cur:
            cur.execute(f'SELECT account_id, name, salesforce_account_id '
                        f'FROM "{layers}_staging".stg_scratch_src__accounts')  # fmt: skip
            assert sorted(cur.fetchall()) == expected
    finally:
        with db.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{layers}_staging" CASCADE')


def test_a_second_run_or_a_bad_name_fails_with_one_line_and_writes_nothing(
    scratch: Scratch,
) -> None:
    before = tree_digest(scratch.root)
    again = new_tap(scratch.root, "scratch_src")
    assert (again.returncode, again.stdout) == (2, "")
    assert again.stderr == (
        "bizops: [config] new-tap: source 'scratch_src' exists already: taps/tap_scratch_src; "
        "nothing written\n"
    )
    bad = new_tap(scratch.root, "Demo-Src")
    assert bad.returncode == 2
    assert bad.stderr == (
        "bizops: [config] new-tap: NAME must be lower-case snake_case (a letter, then letters, "
        "digits and single underscores; at most 20 characters), got 'Demo-Src'; nothing "
        "written\n"
    )
    taken = new_tap(scratch.root, "zuora")
    assert taken.returncode == 2
    assert "source 'zuora' exists already: taps/tap_zuora; nothing written" in taken.stderr
    assert tree_digest(scratch.root) == before


def test_a_shared_file_without_its_marker_fails_before_anything_is_written(
    tmp_path: Path,
) -> None:
    root = copy_repo(tmp_path)
    setup = root / "setup.cfg"
    setup.write_text(setup.read_text().replace("    # bizops new-tap: console_scripts\n", ""))
    before = tree_digest(root)
    done = new_tap(root, "other_src")
    assert done.returncode == 2
    assert done.stderr == (
        "bizops: [config] new-tap: setup.cfg has no marker line '# bizops new-tap: "
        "console_scripts' (bizops new-tap adds its entries right above it): put it back; "
        "nothing written\n"
    )
    assert tree_digest(root) == before
