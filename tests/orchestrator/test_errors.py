"""Bad input to every command gives one line, an exit code of the taxonomy, no traceback and no
secret: malformed or unreachable warehouse URLs, missing or broken plugins."""

from __future__ import annotations

import subprocess

import pytest

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
