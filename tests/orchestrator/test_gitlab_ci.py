"""`bizops schedule gitlab-ci` in a project made by `bizops init`: the job's own lines, run in a
shell as a GitLab runner would (CI/CD variables in the environment, a fresh checkout per job),
load the pipeline into the warehouse named by BIZOPS_DATABASE_URL, and the next job continues
from the state stored there.

The job installs bizops with ``command -v bizops || pip install "$BIZOPS_PIP_SPEC"``. Here
bizops is already installed (this venv is on PATH), so the install is skipped, and a ``pip``
that fails if called proves it; a separate test takes bizops off PATH and checks the install
line calls pip with the spec the file declares."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import yaml

from bizops.schedule import GITLAB_MARK, pip_spec_from

BIN = Path(sys.executable).parent
FAST = "      poll_interval: 0.01\n      window_days: 3660\n      objects: [Account]\n"


def _bizops(*args: str, cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run(
        [str(BIN / "bizops"), *args], cwd=cwd, env=env or dict(os.environ),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def init_project(tmp_path: Path, zuora_sandbox, db_schema: str) -> tuple[Path, str]:
    """A `bizops init` project pointed at the emulator (and its own schema and pipeline name)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    assert _bizops("init", cwd=repo).returncode == 0
    path = repo / "bizops.yml"
    text = path.read_text()
    for old, new in (
        ("base_url: https://rest.zuora.com", f"base_url: {zuora_sandbox.url}"),
        ('start_date: "2024-01-01T00:00:00Z"\n', f'start_date: "2024-01-01T00:00:00Z"\n{FAST}'),
        ("default_target_schema: zuora", f"default_target_schema: {db_schema}"),
        ("name: zuora-to-postgres", f"name: {db_schema}"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return repo, db_schema


def _job(repo: Path, pipeline: str) -> tuple[dict[str, Any], list[str]]:
    done = _bizops("schedule", "gitlab-ci", "--write", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {repo / '.gitlab-ci.yml'}\n"
    doc = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    job = doc[f"bizops:{pipeline}"]
    base = doc[job["extends"]]
    return doc["variables"], [*base["before_script"], *job["script"]]


def _ci_env(tmp_path: Path, variables: dict[str, str], **extra: str) -> dict[str, str]:
    """The job's environment: the file's variables, the CI/CD variables, a PATH."""
    fake = tmp_path / "fake-bin"
    fake.mkdir(exist_ok=True)
    (fake / "pip").write_text('#!/bin/sh\necho "pip $*" >> "$PIP_LOG"\nexit "$PIP_EXIT"\n')
    (fake / "pip").chmod(0o755)
    return {
        "HOME": str(tmp_path),
        "PATH": f"{fake}:{BIN}:/usr/bin:/bin",
        "PIP_LOG": str(tmp_path / "pip.log"),
        "PIP_EXIT": "1",
        "CI_PIPELINE_SOURCE": "schedule",
        "ZUORA_CLIENT_ID": "sandbox-client-id",
        "ZUORA_CLIENT_SECRET": "sandbox-client-secret",
        **variables,
        **extra,
    }


def _run_lines(lines: list[str], cwd: Path, env: dict[str, str]):
    # A runner stops at the first failing line; `set -e` in one shell does the same.
    script = "set -e\n" + "\n".join(lines)
    return subprocess.run(
        ["/bin/bash", "-c", script], cwd=cwd, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _fresh_checkout(repo: Path, into: Path) -> Path:
    """What the next job sees: the committed files, none of the git-ignored .bizops/."""
    shutil.copytree(repo, into, ignore=shutil.ignore_patterns(".bizops"))
    return into


def _accounts(url: str, schema: str) -> dict[str, datetime]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(f'SELECT id, _sdc_batched_at FROM "{schema}".account')
        rows = dict(cur.fetchall())
    conn.close()
    return rows


def test_the_generated_job_loads_and_the_next_job_continues_from_the_warehouse_state(
    init_project: tuple[Path, str], tmp_path: Path, warehouse_url: str, zuora_sandbox
) -> None:
    repo, pipeline = init_project
    variables, lines = _job(repo, pipeline)
    env = _ci_env(tmp_path, variables, BIZOPS_DATABASE_URL=warehouse_url, BIZOPS_PIPELINE=pipeline)
    first = _run_lines(lines, _fresh_checkout(repo, tmp_path / "job1"), env)
    assert first.returncode == 0, first.stderr[-3000:]
    artifacts = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())[".bizops"]["artifacts"]
    logs = [list((tmp_path / "job1").glob(f"{path}**/*.log")) for path in artifacts["paths"]]
    assert [len(found) for found in logs] == [1]  # the run's log is kept as an artifact
    assert not (tmp_path / "pip.log").exists()  # bizops was there: no install
    world = zuora_sandbox.app.world
    since = datetime.fromisoformat("2024-01-01T00:00:00+00:00")
    before = _accounts(warehouse_url, pipeline)
    assert set(before) == {r["Id"] for r in world.records("Account") if r["UpdatedDate"] >= since}
    changes = world.mutate_sources()["zuora"]["Account"]
    second = _run_lines(lines, _fresh_checkout(repo, tmp_path / "job2"), env)
    assert second.returncode == 0, second.stderr[-3000:]
    after = _accounts(warehouse_url, pipeline)
    reloaded = {i for i, at in after.items() if i not in before or at > before[i]}
    assert reloaded == set(changes["created"]) | set(changes["updated"])


def test_the_job_refuses_to_run_without_a_warehouse(
    init_project: tuple[Path, str], tmp_path: Path
) -> None:
    repo, pipeline = init_project
    variables, lines = _job(repo, pipeline)
    done = _run_lines(lines, repo, _ci_env(tmp_path, variables, BIZOPS_PIPELINE=pipeline))
    assert done.returncode == 2
    assert done.stderr == (
        "bizops: set the CI/CD variable BIZOPS_DATABASE_URL: without a warehouse every run "
        "would start from nothing\n"
    )
    assert not (repo / ".bizops" / "pg").exists()


def test_without_bizops_the_job_pip_installs_the_declared_spec(
    init_project: tuple[Path, str], tmp_path: Path
) -> None:
    repo, pipeline = init_project
    variables, lines = _job(repo, pipeline)
    install = [line for line in lines if "pip install" in line]
    assert len(install) == 1
    env = _ci_env(tmp_path, variables, BIZOPS_DATABASE_URL="postgresql://unused", PIP_EXIT="0")
    env["PATH"] = env["PATH"].replace(f"{BIN}:", "")
    done = _run_lines(install, repo, env)
    assert done.returncode == 0, done.stderr
    spec = variables["BIZOPS_PIP_SPEC"]
    assert (tmp_path / "pip.log").read_text() == f"pip install --quiet {spec}\n"


def test_gitlab_ci_prints_by_default_and_never_replaces_a_foreign_file(
    init_project: tuple[Path, str],
) -> None:
    repo, _ = init_project
    printed = _bizops("schedule", "gitlab-ci", cwd=repo)
    assert printed.returncode == 0
    assert printed.stdout.startswith(GITLAB_MARK)
    assert not (repo / ".gitlab-ci.yml").exists()
    (repo / ".gitlab-ci.yml").write_text("test:\n  script: [make test]\n")
    refused = _bizops("schedule", "gitlab-ci", "--write", cwd=repo)
    assert refused.returncode == 2
    assert "was not written by bizops" in refused.stderr
    assert (repo / ".gitlab-ci.yml").read_text() == "test:\n  script: [make test]\n"
    (repo / ".gitlab-ci.yml").unlink()
    assert _bizops("schedule", "gitlab-ci", "--write", cwd=repo).returncode == 0
    again = _bizops("schedule", "gitlab-ci", "--write", cwd=repo)  # its own file: replaced
    assert again.returncode == 0
    assert (repo / ".gitlab-ci.yml").read_text() == printed.stdout


def test_the_pip_spec_is_where_this_bizops_came_from(tmp_path: Path) -> None:
    git = {"url": "https://gitlab.example.com/data/bizops.git",
           "vcs_info": {"vcs": "git", "commit_id": "0123abc"}}  # fmt: skip
    assert pip_spec_from(git, "0.1.0") == "git+https://gitlab.example.com/data/bizops.git@0123abc"
    assert pip_spec_from(None, "0.1.0") == "bizops==0.1.0"
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for args in (
        ["init", "-q"],
        ["remote", "add", "origin", "git@gitlab.example.com:data/bizops.git"],
        ["-c", "user.email=t@e", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x"],
    ):
        subprocess.run(["git", "-C", str(checkout), *args], check=True, capture_output=True)
    head = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    editable = {"url": f"file://{checkout}", "dir_info": {"editable": True}}
    assert pip_spec_from(editable, "0.1.0") == (
        f"git+ssh://git@gitlab.example.com/data/bizops.git@{head}"
    )
    no_remote = tmp_path / "plain"
    no_remote.mkdir()
    plain = {"url": f"file://{no_remote}", "dir_info": {"editable": True}}
    assert pip_spec_from(plain, "0.1.0") == "bizops==0.1.0"


def test_readme_and_help_say_it_prints_and_write_saves(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "`bizops schedule gitlab-ci` prints" in readme
    assert "`--write` saves it as `.gitlab-ci.yml`" in readme
    assert "gitlab-ci` writes" not in readme
    shown = " ".join(_bizops("schedule", "gitlab-ci", "--help", cwd=tmp_path).stdout.split())
    assert (
        "Print a .gitlab-ci.yml with one scheduled job per scheduled pipeline (or --write it)."
        in shown
    )
    assert "--write Save it as .gitlab-ci.yml in the project folder instead of printing it" in shown


def test_schedule_renderings_need_no_secret_variables(tmp_path: Path) -> None:
    assert _bizops("init", cwd=tmp_path).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZUORA_")}
    for rendering in ("crontab", "gitlab-ci"):
        done = _bizops("schedule", rendering, cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        assert "#   0 * * * *" in done.stdout or "# schedule: 0 * * * *" in done.stdout
