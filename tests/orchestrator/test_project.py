"""bizops.yml parsing: validation errors name the key path; secrets only through ${ENV}."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bizops.project import load, parse
from bizops_core.errors import ConfigurationError

BIZOPS = str(Path(sys.executable).parent / "bizops")
VALID = {
    "version": 1,
    "taps": {"tap-zuora": {"config": {"client_secret": "${ZUORA_SECRET}", "start_date": "x"}}},
    "targets": {"target-postgres": {"config": {"default_target_schema": "zuora"}}},
    "pipelines": [{"name": "zuora-to-postgres", "tap": "tap-zuora", "target": "target-postgres"}],
}


def test_valid_file_resolves_env_references_and_registers_them_as_secrets(tmp_path: Path) -> None:
    project = parse(VALID, tmp_path, env={"ZUORA_SECRET": "s3cr3t-value"})
    pipeline = project.pipeline("zuora-to-postgres")
    assert pipeline.tap.config == {"client_secret": "s3cr3t-value", "start_date": "x"}
    assert pipeline.tap.command == "tap-zuora"
    assert project.redactor("token s3cr3t-value leaked") == "token *** leaked"


def test_unknown_key_is_named_with_its_path(tmp_path: Path) -> None:
    raw = {**VALID, "pipelines": [{**VALID["pipelines"][0], "tapp": "tap-zuora"}]}
    with pytest.raises(ConfigurationError) as info:
        parse(raw, tmp_path, env={"ZUORA_SECRET": "x"})
    assert str(info.value) == (
        "bizops.yml: pipelines.0: Additional properties are not allowed ('tapp' was unexpected)"
    )


def test_wrong_type_is_named_with_its_path(tmp_path: Path) -> None:
    raw = {**VALID, "pipelines": [{**VALID["pipelines"][0], "schedule": 5}]}
    with pytest.raises(ConfigurationError) as info:
        parse(raw, tmp_path, env={"ZUORA_SECRET": "x"})
    assert str(info.value) == "bizops.yml: pipelines.0.schedule: 5 is not of type 'string'"


def test_missing_environment_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse(VALID, tmp_path, env={})
    assert str(info.value) == (
        "bizops.yml: taps.tap-zuora.config.client_secret needs the environment variable "
        "ZUORA_SECRET, which is not set"
    )


def test_literal_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load(yaml.safe_dump(VALID))
    raw["taps"]["tap-zuora"]["config"]["client_secret"] = "plain-text"
    with pytest.raises(ConfigurationError) as info:
        parse(raw, tmp_path, env={})
    assert "taps.tap-zuora.config.client_secret looks like a secret" in str(info.value)
    assert "plain-text" not in str(info.value)


def test_pipeline_naming_an_undeclared_tap_is_an_error(tmp_path: Path) -> None:
    raw = {**VALID, "pipelines": [{"name": "p", "tap": "tap-nope", "target": "target-postgres"}]}
    with pytest.raises(ConfigurationError, match="tap 'tap-nope' is not declared under taps"):
        parse(raw, tmp_path, env={"ZUORA_SECRET": "x"})


def test_invalid_yaml_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "bizops.yml").write_text("pipelines: [\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"bizops\.yml is not valid YAML"):
        load(tmp_path)


def test_cli_reports_a_malformed_project_file_with_exit_code_2(tmp_path: Path) -> None:
    raw = {**VALID, "pipelines": [{"name": "Bad Name!", "tap": "tap-zuora", "target": "x"}]}
    (tmp_path / "bizops.yml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = subprocess.run(
        [BIZOPS, "run", "--project-dir", str(tmp_path), "anything"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "ZUORA_SECRET": "x"},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "bizops: [config] bizops.yml: pipelines.0.name: 'Bad Name!' does not match "
        "'^[a-z0-9][a-z0-9_-]*$'"
    )


def test_without_plugins_an_unset_plugin_variable_stays_a_reference(tmp_path: Path) -> None:
    project = parse(VALID, tmp_path, env={}, plugins=False)
    assert project.taps["tap-zuora"].config["client_secret"] == "${ZUORA_SECRET}"


def test_without_plugins_the_warehouse_variables_are_still_required(tmp_path: Path) -> None:
    raw = {**VALID, "warehouse": {"database_url": "${WAREHOUSE_URL}"}}
    with pytest.raises(ConfigurationError) as info:
        parse(raw, tmp_path, env={"ZUORA_SECRET": "x"}, plugins=False)
    assert str(info.value) == (
        "bizops.yml: warehouse.database_url needs the environment variable WAREHOUSE_URL, "
        "which is not set"
    )
