"""The command line: --about, --version, and reading stdin."""

from __future__ import annotations

import json
import subprocess

from target_postgres import __version__
from tests.targets.conftest import DATA, TARGET, select, state_lines


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(TARGET), *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def test_about_json_lists_capabilities_and_settings() -> None:
    result = run("--about", "--format", "json")
    assert result.returncode == 0
    about = json.loads(result.stdout)
    assert about["name"] == "target-postgres"
    assert about["version"] == __version__
    assert about["capabilities"] == ["about", "target-schema"]
    settings = about["settings"]["properties"]
    assert list(settings) == [
        "database_url",
        "host",
        "port",
        "user",
        "password",
        "dbname",
        "default_target_schema",
        "batch_size_rows",
        "batch_size_bytes",
        "validate_records",
        "hard_delete",
        "state_table",
        "state_id",
        "input_end_token",
        "add_metadata_columns",
    ]
    assert settings["password"]["secret"] is True
    assert settings["batch_size_rows"]["default"] == 100000
    assert about["settings"]["additionalProperties"] is False


def test_about_text_names_every_setting() -> None:
    result = run("--about")
    assert result.returncode == 0
    assert b"Name: target-postgres" in result.stdout
    assert b'default_target_schema: string (default "public")' in result.stdout


def test_version_prints_the_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert __version__.encode() in result.stdout


def test_reads_singer_lines_from_stdin(make_config, db, db_schema: str) -> None:
    result = run("--config", str(make_config()), stdin=(DATA / "upserts.singer").read_bytes())
    assert result.returncode == 0, result.stderr
    assert state_lines(result.stdout.decode()) == [{"step": 1}, {"step": 2}]
    assert select(db, f'SELECT count(*) FROM "{db_schema}".accounts') == [(2,)]
