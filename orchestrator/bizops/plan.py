"""What a run will do, decided before anything starts: commands, configs, state in, catalog."""

from __future__ import annotations

import json
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from secrets import token_hex
from typing import Any

from bizops import catalog as catalogs
from bizops import plugins
from bizops import state as state_ops
from bizops.project import Pipeline, Project
from bizops.store import TARGET_STATE_TABLE, state_key
from bizops_core.errors import ConfigurationError
from bizops_core.redact import MASK
from bizops_core.singer_state import state_problem


@dataclass(frozen=True)
class RunOptions:
    """How to run: ``full_refresh`` of ``streams`` (all when empty), ``dry_run``, ``trigger``."""

    full_refresh: bool = False
    streams: tuple[str, ...] = ()
    dry_run: bool = False
    trigger: str = "manual"
    only_if_due: bool = False


@dataclass
class RunPlan:
    """Everything a run needs, computed from the project, the stored state and the options."""

    pipeline: Pipeline
    tap_exe: str
    target_exe: str
    tap_config: dict[str, Any]
    target_config: dict[str, Any]
    state_in: Any
    catalog: dict[str, Any] | None
    refreshed: tuple[str, ...]
    state_table: bool
    secret_keys: set[str] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)  # what a dry run could not know
    bookmarks_for: dict[str, Any] = field(default_factory=dict)

    def redacted(self, redact: Any) -> dict[str, Any]:
        """The plan as a JSON-able dict with secrets masked (for ``--dry-run``)."""
        streams = catalogs.selected_streams(self.catalog) if self.catalog else "tap default"
        return {
            "pipeline": self.pipeline.name,
            "tap": [self.tap_exe, "--config", "tap.json"]
            + (["--state", "state.json"] if self.state_in is not None else [])
            + (["--catalog", "catalog.json"] if self.catalog else []),
            "target": [self.target_exe, "--config", "target.json"],
            "tap_config": mask(self.tap_config, self.secret_keys, redact),
            "target_config": mask(self.target_config, self.secret_keys, redact),
            "state_in": self.state_in,
            "streams": streams,
            "full_refresh": list(self.refreshed),
            "state_committed_with_data": self.state_table,
        } | self.notes


def mask(config: Mapping[str, Any], secret_keys: set[str], redact: Any) -> dict[str, Any]:
    """``config`` with secret keys shown as ``***`` and every known secret value masked."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key in secret_keys and value not in (None, ""):
            out[key] = MASK
        elif isinstance(value, Mapping):
            out[key] = mask(value, secret_keys, redact)
        elif isinstance(value, str):
            out[key] = redact(value)
        else:
            out[key] = value
    return out


def bookmarks_for(pipeline: Pipeline, target: TargetPlan) -> dict[str, Any]:
    """What a pipeline's bookmarks are for: the tap, the target and the target's schema. When
    that changes, the stored bookmarks describe data that is not where this run loads."""
    schema = target.config.get("default_target_schema", target.config.get("schema"))
    return {"tap": pipeline.tap.name, "target": pipeline.target.name, "target_schema": schema}


def target_config(
    pipeline: Pipeline,
    database_url: str,
    state_table: bool,
    first_party: bool = False,
    project_id: str | None = None,
) -> dict[str, Any]:
    """The target's config; our own target (``first_party``: also when declared under another
    name with ``command: target-postgres``) gets the warehouse URL unless one is configured, and
    commits state with its data when it supports ``state_table``."""
    config = dict(pipeline.target.config)
    ours = first_party or pipeline.target.name in plugins.FIRST_PARTY_TARGETS
    if ours and not (config.get("database_url") or config.get("host")):
        config["database_url"] = database_url
    if state_table:
        config.setdefault("state_table", TARGET_STATE_TABLE)
        config.setdefault("state_id", state_key(pipeline.name, project_id or ""))
    return config


@dataclass(frozen=True)
class TargetPlan:
    """The target's part of a run, which needs no state: it can start before the tap."""

    exe: str
    config: dict[str, Any]
    state_table: bool
    secret_keys: frozenset[str]
    end_line: bytes | None = None  # written after the tap's output when it exited 0


def plan_target(
    project: Project, pipeline: Pipeline, database_url: str, install: bool = True
) -> TargetPlan:
    """Decide the target's command and config (its secret values join the redactor); with
    ``install`` False a ``pip_url`` target is not installed (its settings are then unknown)."""
    exe = plugins.executable(project, pipeline.target, install)
    about = plugins.about(project, pipeline.target, install)
    plugins.check_settings(pipeline.target, about)
    secrets = frozenset(plugins.secret_keys(about))
    _redact_values(project, pipeline.target.config, secrets)
    first_party = plugins.is_first_party(pipeline.target, exe)
    state_table = plugins.supports_state_table(pipeline.target, about, first_party)
    config = target_config(pipeline, database_url, state_table, first_party, project.project_id)
    end_line = None
    if state_table and plugins.supports_end_line(about):
        # The target commits the records after the last STATE only when the input ends with
        # this line, which bizops writes once the tap exited 0 (a new token per run).
        token = token_hex(16)
        config["input_end_token"] = token
        end_line = b"\n" + json.dumps({"type": "END_OF_INPUT", "token": token}).encode() + b"\n"
    return TargetPlan(exe, config, state_table, secrets, end_line)


def _redact_values(project: Project, config: Mapping[str, Any], secrets: Set[str]) -> None:
    for key in secrets & set(config):
        project.redactor.add(str(config[key]))


def make_plan(
    project: Project,
    pipeline: Pipeline,
    stored: Any,
    database_url: str,
    options: RunOptions,
    target: TargetPlan | None = None,
) -> RunPlan:
    """Decide the commands, configs, input state and catalog of one run (``target``: its part
    decided already, see :func:`plan_target`)."""
    problem = state_problem(stored)
    if stored is not None and problem is not None:
        raise ConfigurationError(
            f"the stored state of pipeline {pipeline.name!r} is unusable ({problem}); "
            f"see it with `bizops state show {pipeline.name}`, then `bizops state clear` or "
            "`bizops state set` it"
        )
    install = not options.dry_run  # a dry run installs, discovers and starts nothing
    target = target or plan_target(project, pipeline, database_url, install)
    tap_exe = plugins.executable(project, pipeline.tap, install)
    about = plugins.about(project, pipeline.tap, install)
    plugins.check_settings(pipeline.tap, about)
    secrets = plugins.secret_keys(about) | target.secret_keys
    for plugin_config in (pipeline.tap.config, pipeline.target.config):
        _redact_values(project, plugin_config, secrets)
    tap_config = dict(pipeline.tap.config)
    catalog, notes = None, dry_run_notes(project, pipeline) if options.dry_run else {}
    if pipeline.select or options.streams:
        full = catalogs.load_catalog(project, pipeline.tap, tap_config, tap_exe, install)
        if full is None:
            notes["streams"] = "unknown: no catalog yet (the run discovers it first)"
        else:
            catalogs.check_selection(full, pipeline.select, pipeline.tap.name)
            catalog = catalogs.select(full, pipeline.select, options.streams)
    if pipeline.full_refresh_streams:
        known = catalogs.load_catalog(project, pipeline.tap, tap_config, tap_exe, False)
        if known is not None:  # a catalog to check against, without discovering one
            catalogs.check_streams(known, pipeline.full_refresh_streams, "full_refresh_streams")
    if options.full_refresh and not options.streams:
        refreshed: tuple[str, ...] = ("*",)
        state_in = None
    else:
        refreshed = tuple(pipeline.full_refresh_streams) + (
            options.streams if options.full_refresh else ()
        )
        state_in = state_ops.without_streams(stored, refreshed) if refreshed else stored
    return RunPlan(
        pipeline=pipeline,
        tap_exe=tap_exe,
        target_exe=target.exe,
        tap_config=tap_config,
        target_config=target.config,
        state_in=state_in,
        catalog=catalog,
        refreshed=refreshed,
        state_table=target.state_table,
        secret_keys=set(secrets),
        notes=notes,
        bookmarks_for=bookmarks_for(pipeline, target),
    )


def dry_run_notes(project: Project, pipeline: Pipeline) -> dict[str, str]:
    """What a run would install first (a dry run installs nothing)."""
    notes = {}
    for side, plugin in (("tap", pipeline.tap), ("target", pipeline.target)):
        if plugins.needs_install(project, plugin):
            notes[f"{side}_install"] = (
                f"{plugin.name} is installed from its pip_url into "
                f".bizops/venvs/{plugin.name} first (its settings are unknown until then)"
            )
    return notes
