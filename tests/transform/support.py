"""Sandbox worlds loaded by the real taps and target into the warehouse, for the transform
tests: a project file with both pipelines, and `bizops` run as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from bizops_sandbox import hubspot as hubspot_emulator
from bizops_sandbox import marketo as marketo_emulator
from bizops_sandbox import zendesk as zendesk_emulator
from tests.taps import salesforce_support, zuora_support

# The schemas of a test project with prefix P: raw P_zuora, P_sf (P_zendesk, P_hubspot,
# P_marketo when those sources are loaded); layers P_staging, ...
LAYERS = ("zuora", "sf", "zendesk", "hubspot", "marketo", "staging", "common", "metrics")
BIZOPS = str(Path(sys.executable).parent / "bizops")
SECRETS = {
    "X_ZUORA_SECRET": zuora_support.SECRET, "X_SF_SECRET": salesforce_support.SECRET,
    "X_ZD_TOKEN": zendesk_emulator.API_TOKEN,
    "X_HUBSPOT_TOKEN": hubspot_emulator.PRIVATE_APP_TOKEN,
    "X_MARKETO_SECRET": marketo_emulator.CLIENT_SECRET,
}  # fmt: skip


def write_project(
    folder: Path,
    prefix: str,
    zuora_url: str,
    salesforce_url: str,
    transform: dict[str, Any] | None = None,
    extra: dict[str, dict[str, Any]] | None = None,
    zendesk_url: str | None = None,
    marketing: dict[str, tuple[str, dict[str, Any]]] | None = None,
) -> None:
    """bizops.yml of a project loading Zuora into <prefix>_zuora and Salesforce into
    <prefix>_sf (pipelines ``zuora`` and ``salesforce``, with ``extra[name]`` merged into
    each), and an optional ``transform`` section; with ``zendesk_url``, also Zendesk into
    <prefix>_zendesk (pipeline ``zendesk``); plus one pipeline ``name`` into <prefix>_<name>
    per entry ``name: (tap, config)`` of ``marketing`` (see :func:`marketing_taps`)."""
    zuora = {
        **zuora_support.tap_config(zuora_url, api_type="AQUA", partner_id="bizops-test"),
        "window_days": 3660, "client_secret": "${X_ZUORA_SECRET}",
    }  # fmt: skip
    salesforce = {
        **salesforce_support.tap_config(salesforce_url, "BULK2"),
        "client_secret": "${X_SF_SECRET}",
    }
    project: dict[str, Any] = {
        "version": 1,
        "project_id": prefix,
        "taps": {"tap-zuora": {"config": zuora}, "tap-salesforce": {"config": salesforce}},
        "targets": {"target-postgres": {}},
        "pipelines": [
            {"name": "zuora", "tap": "tap-zuora", "target": "target-postgres",
             "target_config": {"default_target_schema": f"{prefix}_zuora"}},
            {"name": "salesforce", "tap": "tap-salesforce", "target": "target-postgres",
             "target_config": {"default_target_schema": f"{prefix}_sf"}},
        ],
    }  # fmt: skip
    if zendesk_url:
        _add_zendesk(project, prefix, zendesk_url)
    for name, (tap, config) in (marketing or {}).items():
        project["taps"][tap] = {"config": config}
        project["pipelines"].append({
            "name": name, "tap": tap, "target": "target-postgres",
            "target_config": {"default_target_schema": f"{prefix}_{name}"},
        })  # fmt: skip
    for pipeline in project["pipelines"]:
        pipeline.update((extra or {}).get(pipeline["name"], {}))
    if transform:
        # a source this project does not load reads <prefix>_<source>, a schema that does not
        # exist (its staging models are built empty), never the dbt default schema, which
        # another test (the demo) may have filled in the same warehouse
        absent = {
            f"{name}_schema": f"{prefix}_{name}" for name in ("zendesk", "hubspot", "marketo")
        }
        transform = {**transform, "vars": {**absent, **transform.get("vars", {})}}
        project["transform"] = transform
    (folder / "bizops.yml").write_text(yaml.safe_dump(project), encoding="utf-8")


def _add_zendesk(project: dict[str, Any], prefix: str, url: str) -> None:
    """tap-zendesk (API-token auth, the token from the environment) and its pipeline."""
    config = {"base_url": url, "email": zendesk_emulator.EMAIL, "api_token": "${X_ZD_TOKEN}",
              "start_date": "2020-01-01T00:00:00Z"}  # fmt: skip
    project["taps"]["tap-zendesk"] = {"config": config}
    project["pipelines"].append({
        "name": "zendesk", "tap": "tap-zendesk", "target": "target-postgres",
        "target_config": {"default_target_schema": f"{prefix}_zendesk"},
    })  # fmt: skip


def marketing_taps(hubspot_url: str, marketo_url: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """The ``marketing`` argument of :func:`write_project` loading the HubSpot and Marketo
    emulators at these URLs (pipelines ``hubspot`` and ``marketo``), secrets from SECRETS."""
    return {
        "hubspot": ("tap-hubspot", {
            "base_url": hubspot_url, "access_token": "${X_HUBSPOT_TOKEN}",
            "start_date": START_DATE,
        }),
        "marketo": ("tap-marketo", {
            "base_url": marketo_url, "client_id": marketo_emulator.CLIENT_ID,
            "client_secret": "${X_MARKETO_SECRET}", "start_date": START_DATE,
            "poll_interval": 0.01,
        }),
    }  # fmt: skip


# Before the first record of every world size (the worlds start in late 2021).
START_DATE = "2020-01-01T00:00:00Z"


def bizops(
    env: dict[str, str], *args: str, timeout: int = 600
) -> subprocess.CompletedProcess[bytes]:
    """Run the `bizops` command; output captured, never raises on a failure exit."""
    return subprocess.run(
        [BIZOPS, *args], env=env, capture_output=True, timeout=timeout, check=False
    )  # fmt: skip


def drop_layers(warehouse_url: str, *prefixes: str) -> None:
    """Drop every schema of the test projects with these prefixes (raw and transformed)."""
    import psycopg2

    conn = psycopg2.connect(warehouse_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for prefix in prefixes:
            for layer in LAYERS:
                cur.execute(f'DROP SCHEMA IF EXISTS "{prefix}_{layer}" CASCADE')
    conn.close()
