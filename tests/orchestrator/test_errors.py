"""Bad input to every command gives one line, an exit code of the taxonomy, no traceback and no
secret: malformed or unreachable warehouse URLs, missing or broken plugins."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg2
import psycopg2.extensions
import pytest

from bizops.store_schema import SCHEMA_VERSION
from tests.orchestrator.conftest import BIZOPS, SlowProject

SECRET = "pw-SEKRIT"
USAGE = (
    "expected a URL postgresql://user@host:port/dbname (password after user:) "
    "or libpq key=value pairs"
)
COMMANDS = (
    ("state", "list"),
    ("runs",),
    ("run", "{name}"),
    ("run", "--dry-run", "{name}"),
    ("config", "{name}"),
    ("state", "clear", "{name}"),
    ("schedule", "list"),
    ("cron",),
    ("state", "show", "{name}"),
    ("runs", "show", "1"),
)


def bizops_with_url(project: SlowProject, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**project.env(), "BIZOPS_DATABASE_URL": url}
    argv = [a.format(name=project.name) for a in args]
    return subprocess.run(
        [BIZOPS, *argv, "--project-dir", str(project.root)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a))
def test_a_non_postgres_url_is_one_line_exit_2_with_the_password_masked(
    slow_project: SlowProject, args: tuple[str, ...]
) -> None:
    result = bizops_with_url(slow_project, f"mysql://u:{SECRET}@host/db", *args)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "bizops: [config] BIZOPS_DATABASE_URL: 'mysql://u:***@host/db' is not a PostgreSQL "
        f"URL (scheme 'mysql'); {USAGE}"
    ]
    assert result.stdout == ""


@pytest.mark.parametrize(
    "url",
    [f"postgresql://u:{SECRET}@host:notaport/db", f"no structure at all {SECRET}"],
    ids=["bad-port", "garbage"],
)
def test_an_unparseable_url_is_one_line_exit_2_without_the_value(
    slow_project: SlowProject, url: str
) -> None:
    result = bizops_with_url(slow_project, url, "state", "list")
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("bizops: [config] ")
    assert SECRET not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://u:{SECRET}@127.0.0.1:1/db",
        f"postgresql://u@127.0.0.1:1/db?password={SECRET}",
        f"host=127.0.0.1 port=1 user=u password={SECRET} dbname=db",
    ],
    ids=["userinfo", "query-param", "dsn"],
)
def test_an_unreachable_warehouse_is_one_line_exit_2_without_the_password(
    slow_project: SlowProject, url: str
) -> None:
    for args in (("runs",), ("run", "{name}")):
        result = bizops_with_url(slow_project, url, *args)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            'bizops: [config] cannot reach the warehouse: connection to server at "127.0.0.1", '
            "port 1 failed: Connection refused Is the server running on that host and "
            "accepting TCP/IP connections?"
        ]


def test_test_command_reports_a_bad_warehouse_url_as_a_failed_check(
    slow_project: SlowProject,
) -> None:
    result = bizops_with_url(slow_project, f"mysql://u:{SECRET}@host/db", "test", "{name}")
    assert result.returncode == 2
    assert result.stdout.splitlines()[0] == (
        "FAILED warehouse  BIZOPS_DATABASE_URL: 'mysql://u:***@host/db' is not a PostgreSQL "
        f"URL (scheme 'mysql'); {USAGE}"
    )
    assert SECRET not in result.stdout + result.stderr


def broken_tap(project: SlowProject, kind: str) -> Path:
    """Point the project's tap at a broken command; returns its path."""
    tap = project.root / "broken-tap"
    if kind == "not executable":
        tap.write_text("#!/bin/sh\nexit 0\n")
        tap.chmod(0o644)
    elif kind == "crashing":
        tap.write_text("#!/bin/sh\necho 'boom: no such endpoint' >&2\nexit 7\n")
        tap.chmod(0o755)
    elif kind == "not singer":
        tap.write_text("#!/bin/sh\necho 'hello, I am not a tap'\n")
        tap.chmod(0o755)
    elif kind == "reads stdin":
        tap.write_text('#!/bin/sh\nread line\necho "$line"\n')
        tap.chmod(0o755)
    text = (project.root / "bizops.yml").read_text()
    (project.root / "bizops.yml").write_text(text.replace(str(project.root / "slow-tap"), str(tap)))
    return tap


DISCOVER_FAILURES = {
    "missing": "cannot start tap '{tap}': No such file or directory",
    "not executable": "cannot start tap '{tap}': Permission denied",
    "crashing": "slow-tap --discover exited with 7: boom: no such endpoint",
    "not singer": "slow-tap --discover printed no JSON catalog "
    "(its output begins 'hello, I am not a tap')",
    "reads stdin": "slow-tap --discover printed no JSON catalog (no output)",
}


def bizops_waiting_stdin(project: SlowProject, *args: str) -> subprocess.CompletedProcess[str]:
    """bizops with a stdin that stays open (a terminal's), so a plugin reading it would hang."""
    with subprocess.Popen(
        [BIZOPS, *args, "--project-dir", str(project.root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=project.env(),
    ) as proc:
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("kind", list(DISCOVER_FAILURES))
def test_discover_with_a_broken_tap_is_one_line_exit_3(
    slow_project: SlowProject, kind: str
) -> None:
    tap = broken_tap(slow_project, kind)
    result = bizops_waiting_stdin(slow_project, "discover", "slow-tap")
    assert result.returncode == 3
    reason = DISCOVER_FAILURES[kind].format(tap=tap)
    assert result.stderr.splitlines() == [f"bizops: [source] {reason}"]
    assert result.stdout == ""


@pytest.mark.parametrize("kind", list(DISCOVER_FAILURES))
def test_test_command_diagnoses_a_broken_tap(slow_project: SlowProject, kind: str) -> None:
    tap = broken_tap(slow_project, kind)
    result = bizops_waiting_stdin(slow_project, "test", slow_project.name)
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["ok", "warehouse"], ["FAILED", "tap"], ["ok", "target"],
    ]  # fmt: skip
    assert lines[1] == f"FAILED tap        {DISCOVER_FAILURES[kind].format(tap=tap)}"
    assert result.stderr == ""


def test_test_command_diagnoses_a_target_that_is_not_executable(
    slow_project: SlowProject,
) -> None:
    target = slow_project.root / "target-here"
    target.write_text("#!/bin/sh\nexit 0\n")
    text = (slow_project.root / "bizops.yml").read_text()
    text = text.replace("  target-postgres:\n", f"  target-postgres:\n    command: {target}\n")
    (slow_project.root / "bizops.yml").write_text(text)
    result = slow_project.bizops("test", slow_project.name)
    assert result.returncode == 2
    assert result.stdout.splitlines()[2] == f"FAILED target     {target}: not executable"


@pytest.mark.parametrize("kind", ["missing", "not executable"])
def test_run_with_a_selection_and_a_tap_that_cannot_start_exits_3(
    slow_project: SlowProject, kind: str
) -> None:
    text = (slow_project.root / "bizops.yml").read_text()
    (slow_project.root / "bizops.yml").write_text(text + "    select: ['alpha.*']\n")
    tap = broken_tap(slow_project, kind)
    reason = DISCOVER_FAILURES[kind].format(tap=tap)
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 3
    assert result.stderr.splitlines()[-1] == f"bizops: [source] {reason}"


def test_a_target_that_cannot_start_is_one_line_exit_4(slow_project: SlowProject) -> None:
    missing = slow_project.root / "no-such-target"
    text = (slow_project.root / "bizops.yml").read_text()
    text = text.replace("  target-postgres:\n", f"  target-postgres:\n    command: {missing}\n")
    (slow_project.root / "bizops.yml").write_text(text)
    result = slow_project.bizops("run", slow_project.name)
    assert result.returncode == 4
    assert result.stderr.splitlines() == [
        f"bizops: [target] cannot start target '{missing}': No such file or directory"
    ]


def test_an_unexpected_warehouse_error_is_one_line_exit_1(
    slow_project: SlowProject, db: psycopg2.extensions.connection
) -> None:
    """A warehouse whose bizops tables are half there: the driver's error, not a traceback."""
    name = f"broken_{slow_project.name}"
    with db.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        url = slow_project.warehouse_url.replace("/postgres?", f"/{name}?")
        with psycopg2.connect(url) as conn, conn.cursor() as cur:
            cur.execute("CREATE SCHEMA bizops; CREATE TABLE bizops.schema_version (version int)")
            cur.execute("INSERT INTO bizops.schema_version VALUES (%s)", (SCHEMA_VERSION,))
        conn.close()
        result = bizops_with_url(slow_project, url, "runs")
        assert result.returncode == 1
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(
            'bizops: [system] unexpected UndefinedTable: relation "bizops.runs" does not exist'
        )
    finally:
        with db.cursor() as cur:
            cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_the_demo_report_never_prints_the_warehouse_password() -> None:
    from bizops.demo import DemoReport

    report = DemoReport([], (0, 0, 0), f"postgresql://u:{SECRET}@db.example.com/wh", Path("."))
    assert "explore it:  psql 'postgresql://u:***@db.example.com/wh' -c " in report.render()
    assert SECRET not in report.render()
