"""The command line: --about, --version, and reading stdin."""

from __future__ import annotations

import json
import os
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


def test_about_markdown_has_the_sdk_taps_shape() -> None:
    # issue 10 item 20: "--format markdown" was refused (exit 2); the SDK taps print this shape
    result = run("--about", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert text.startswith("# `target-postgres`\n\nSinger target loading PostgreSQL")
    assert "\n## Capabilities\n\n- `about`\n- `target-schema`\n\n## Settings\n\n" in text
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert table[:2] == [
        "| Setting | Required | Default | Description |",
        "|:--------|:--------:|:-------:|:------------|",
    ]
    settings = json.loads(run("--about", "--format", "json").stdout)["settings"]["properties"]
    assert [row.split(" | ")[0] for row in table[2:]] == [f"| {name}" for name in settings]
    assert "| port | False | 5432 | Server port |" in table
    assert (
        "| default_target_schema | False | public | Schema the tables go to; created if missing |"
        in table
    )
    assert "| hard_delete | False | false |" in text
    assert "| password | False | None | Password of that user; secret |" in table


def test_an_unknown_log_level_is_a_usage_error() -> None:
    result = run("--log-level", "chatty", "--about")  # was a ValueError traceback, exit 1
    assert result.returncode == 2
    assert (
        b"Invalid value for '--log-level': 'chatty' is not one of 'debug', 'info'" in result.stderr
    )
    assert b"Traceback" not in result.stderr


def test_an_unreadable_input_or_config_path_is_one_line_exit_2(make_config, tmp_path) -> None:
    missing = tmp_path / "missing.singer"
    result = run("--config", str(make_config()), "--input", str(missing))
    assert result.returncode == 2
    [line] = result.stderr.decode().splitlines()  # was click's four-line usage error
    assert line.endswith(f"[config] --input: cannot read {missing}: No such file or directory")
    result = run("--config", str(tmp_path))
    assert result.returncode == 2
    [line] = result.stderr.decode().splitlines()
    assert line.endswith(f"[config] cannot read config file {tmp_path}: Is a directory")


def test_a_closed_stdout_is_reported_after_committing(make_config, db, db_schema: str) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader of the state lines is gone
    try:
        result = subprocess.run(
            [str(TARGET), "--config", str(make_config()), "--input", str(DATA / "upserts.singer")],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 1  # was 1 too, but without a word on stderr
    assert b"[system] stdout was closed by its reader: a state line could not be written" in (
        result.stderr
    )
    # the records before the first STATE are committed (its line is the first write that fails)
    assert select(db, f'SELECT id, name FROM "{db_schema}".accounts ORDER BY id') == [
        (1, "v2"),
        (2, "v1"),
    ]
