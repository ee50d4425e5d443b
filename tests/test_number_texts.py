"""Numeric settings given as text (Meltano passes a setting read from an environment variable
as a string when it has no `kind`): parsed into the exact number, anything else refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bizops_core.number_texts import parse_number_texts
from tests.taps import salesforce_support, zuora_support

SCHEMA = {
    "properties": {
        "poll_interval": {"type": ["number", "null"]},
        "window_days": {"type": ["integer", "null"]},
        "api_version": {"type": ["string", "null"]},
        "flag": {"type": ["boolean", "null"]},
    }
}


def test_number_texts_become_the_numbers_they_spell_exactly() -> None:
    parsed = parse_number_texts(
        {"poll_interval": "0.01", "window_days": "400", "api_version": "60.0", "flag": "1"},
        SCHEMA,
    )
    assert parsed == {
        "poll_interval": Decimal("0.01"),
        "window_days": 400,
        "api_version": "60.0",  # a string setting keeps its text
        "flag": "1",  # not a number setting
    }
    assert type(parsed["window_days"]) is int


def test_text_that_is_not_a_number_of_the_right_kind_is_left_for_the_schema_check() -> None:
    config = {"poll_interval": " 1", "window_days": "1.5"}
    assert parse_number_texts(config, SCHEMA) == config
    assert parse_number_texts({"poll_interval": "1e2"}, SCHEMA) == {"poll_interval": Decimal("1e2")}
    assert parse_number_texts({"window_days": "1e2"}, SCHEMA) == {"window_days": "1e2"}


def test_tap_zuora_takes_number_settings_as_text(zuora_sandbox, tmp_path: Path) -> None:
    config = zuora_support.tap_config(
        zuora_sandbox.url, poll_interval="0.01", window_days="400", objects=["Product"]
    )
    done = zuora_support.run_cli(tmp_path, config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('"type":"RECORD"') == len(zuora_sandbox.app.world.records("Product"))


def test_tap_zuora_refuses_text_that_is_no_number_naming_the_setting(
    zuora_sandbox, tmp_path: Path
) -> None:
    config = zuora_support.tap_config(zuora_sandbox.url, poll_interval="soon")
    done = zuora_support.run_cli(tmp_path, config, "--discover")
    assert done.returncode == 2
    assert (
        "[config] tap-zuora settings are invalid: 'soon' is not of type 'number', 'null' "
        "in config['poll_interval']" in done.stderr
    )
    assert done.stdout == ""


def test_tap_salesforce_takes_number_settings_as_text(tmp_path: Path) -> None:
    server = salesforce_support.start()
    try:
        config = salesforce_support.tap_config(
            server.url, "BULK2", poll_interval="0.01", bulk_page_size="40", objects=["User"]
        )
        done = salesforce_support.run_cli(tmp_path, config)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert done.stdout.count('"type":"RECORD"') == len(
        server.app.world.records("User", "salesforce")
    )
