"""Reads and validates bizops.yml into frozen dataclasses, resolving ``${ENV_VAR}`` references."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bizops_core.errors import ConfigurationError
from bizops_core.redact import Redactor, connection_passwords
from bizops_schemas import load as load_schema

PROJECT_FILE = "bizops.yml"
VALIDATED = Path(".bizops") / "validated"
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Config keys that must never hold a literal value in the project file.
SECRET_KEY = re.compile(r"(secret|password|token|api_key|private_key)", re.IGNORECASE)


@dataclass(frozen=True)
class Plugin:
    """A tap or target: its executable and its resolved config."""

    name: str
    command: str
    config: Mapping[str, Any]
    pip_url: str | None = None
    # Config keys written as literal values in bizops.yml (not ${ENV}), with where they are.
    literal: Mapping[str, str] = field(default_factory=dict)


# Run-history names of the commands that are not pipelines.
RESERVED_NAMES = frozenset({"transform", "check", "report", "digest"})


@dataclass(frozen=True)
class Pipeline:
    """One tap -> target pair with its resolved configs."""

    name: str
    tap: Plugin
    target: Plugin
    schedule: str | None = None
    select: tuple[str, ...] = ()
    full_refresh_streams: tuple[str, ...] = ()
    transform: bool = False  # build the analytic layer after a successful run


@dataclass(frozen=True)
class Digest:
    """A KPI digest to Slack declared under ``digests:`` (see ``bizops digest``)."""

    name: str
    webhook: str  # resolved from its ${ENV_VAR}; a reference still when the variable is unset
    schedule: str | None = None
    teams: tuple[str, ...] = ()  # empty: every team
    period: str = "quarter"
    link: str | None = None

    @property
    def run_name(self) -> str:
        """Its name in run history."""
        return f"digest:{self.name}"


@dataclass(frozen=True)
class Project:
    """A loaded project: where it lives, its warehouse and pipelines, and its secret values."""

    root: Path
    database_url: str | None
    pipelines: Mapping[str, Pipeline]
    redactor: Redactor = field(default_factory=Redactor)
    taps: Mapping[str, Plugin] = field(default_factory=dict)
    targets: Mapping[str, Plugin] = field(default_factory=dict)
    project_id: str | None = None  # None: a project from before project ids (shared scope)
    transform_schema: str | None = None  # bizops.yml transform.schema
    transform_vars: Mapping[str, Any] = field(default_factory=dict)  # transform.vars
    digests: Mapping[str, Digest] = field(default_factory=dict)  # digests:, by name

    def plugin(self, name: str) -> Plugin:
        """The tap or target called ``name``, or a ConfigurationError."""
        found = self.taps.get(name) or self.targets.get(name)
        if found is None:
            known = ", ".join(sorted([*self.taps, *self.targets])) or "none"
            raise ConfigurationError(
                f"{PROJECT_FILE}: no tap or target named {name!r} (known: {known})"
            )
        return found

    def pipeline(self, name: str) -> Pipeline:
        """The pipeline called ``name``, or a ConfigurationError listing the known ones."""
        try:
            return self.pipelines[name]
        except KeyError:
            known = ", ".join(sorted(self.pipelines)) or "none"
            raise ConfigurationError(
                f"{PROJECT_FILE}: no pipeline named {name!r} (known: {known})"
            ) from None


def _path(parts: list[Any] | tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in parts) or "(top level)"


def _is_literal(value: Any) -> bool:
    """Whether a config value is written in the file (not an ``${ENV}`` reference, not unset)."""
    if value is None or isinstance(value, Mapping | list):
        return False
    return not (isinstance(value, str) and ENV_REF.fullmatch(value.strip()))


def _literal_password(value: str) -> bool:
    return any(not ENV_REF.fullmatch(p.strip()) for p in connection_passwords(value))


def _check_secrets(node: Any, where: list[Any]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = [*where, key]
            # Any scalar: a numeric or boolean literal is as much in the clear as a string.
            if _is_literal(value) and SECRET_KEY.search(str(key)):
                raise ConfigurationError(
                    f"{PROJECT_FILE}: {_path(here)} looks like a secret; write it as an "
                    "${ENV_VAR} reference, never as a literal value"
                )
            if isinstance(value, str) and _literal_password(value):
                raise ConfigurationError(
                    f"{PROJECT_FILE}: {_path(here)} holds a password in a connection URL; write "
                    "the URL (or its password) as an ${ENV_VAR} reference"
                )
            _check_secrets(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _check_secrets(item, [*where, index])


# Sections whose ``${VAR}`` references only a running tap or target (or a digest sent) needs.
PLUGIN_SECTIONS = frozenset({"taps", "targets", "pipelines", "digests"})


def _resolve(
    node: Any, env: Mapping[str, str], redactor: Redactor, where: list[Any], plugins: bool = True
) -> Any:
    """Replace ``${VAR}`` references; every substituted value is registered as a secret.
    With ``plugins`` false, an unset variable of the plugin sections stays a reference."""
    if isinstance(node, Mapping):
        return {k: _resolve(v, env, redactor, [*where, k], plugins) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, env, redactor, [*where, i], plugins) for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env and not plugins and where and where[0] in PLUGIN_SECTIONS:
            return match.group(0)
        if name not in env:
            raise ConfigurationError(
                f"{PROJECT_FILE}: {_path(where)} needs the environment variable {name}, "
                "which is not set"
            )
        redactor.add(env[name])
        return env[name]

    return ENV_REF.sub(substitute, node)


def _validate(raw: Any, root: Path) -> None:
    """Check ``raw`` against the JSON Schema. A document already found valid (same content, same
    schema) is remembered in ``.bizops/validated`` so cron calls skip importing jsonschema."""
    schema = load_schema("bizops", "project")
    text = json.dumps([raw, schema], sort_keys=True, default=str).encode("utf-8")
    key = hashlib.sha256(text).hexdigest()
    memo = root / VALIDATED
    if memo.is_file() and memo.read_text("utf-8") == key:
        return
    import jsonschema  # lazy: about 75 ms of start-up

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        raise ConfigurationError(f"{PROJECT_FILE}: {_path(first.absolute_path)}: {first.message}")
    if memo.parent.is_dir():
        memo.write_text(key, "utf-8")


def _plugin(
    kind: str,
    name: str,
    plugins: Mapping[str, Any],
    overrides: Any,
    raw: tuple[Mapping[str, Any], Mapping[str, tuple[Any, str]]] = ({}, {}),
) -> Plugin:
    """A Plugin from its resolved declaration and ``overrides``; ``raw``: the plugins before
    ``${ENV}`` resolution and the overrides' raw values with where they are written, to tell
    which values are literal."""
    if name not in plugins:
        raise ConfigurationError(f"{PROJECT_FILE}: {kind} {name!r} is not declared under {kind}s")
    spec = plugins[name] or {}
    config = {**(spec.get("config") or {}), **(overrides or {})}
    raw_plugins, raw_overrides = raw
    declared = ((raw_plugins.get(name) or {}).get("config") or {}).items()
    where = {key: (value, f"{kind}s.{name}.config.{key}") for key, value in declared}
    where.update(raw_overrides)
    literal = {key: path for key, (value, path) in where.items() if _is_literal(value)}
    return Plugin(
        name=name,
        command=spec.get("command", name),
        config=config,
        pip_url=spec.get("pip_url"),
        literal=literal,
    )


def _check_schedule(index: int, schedule: str | None, section: str = "pipelines") -> None:
    if schedule is None:
        return
    from croniter import croniter  # lazy: only projects with schedules pay for it

    if not croniter.is_valid(schedule):
        raise ConfigurationError(
            f"{PROJECT_FILE}: {section}.{index}.schedule: {schedule!r} is not a cron expression"
        )


def _digests(raw: Mapping[str, Any], doc: Mapping[str, Any]) -> dict[str, Digest]:
    """The ``digests:`` entries; a webhook URL is a secret, so only an ``${ENV}`` reference."""
    digests: dict[str, Digest] = {}
    for index, item in enumerate(doc.get("digests") or ()):
        where = f"{PROJECT_FILE}: digests.{index}"
        if item["name"] in digests:
            raise ConfigurationError(f"{where}.name: duplicate name {item['name']!r}")
        if not ENV_REF.fullmatch(str(raw["digests"][index]["webhook"]).strip()):
            raise ConfigurationError(
                f"{where}.webhook: a webhook URL is a secret; write it as an ${{ENV_VAR}} "
                "reference, never as a literal value"
            )
        _check_schedule(index, item.get("schedule"), "digests")
        digests[item["name"]] = Digest(
            name=item["name"], webhook=item["webhook"], schedule=item.get("schedule"),
            teams=tuple(item.get("teams") or ()), period=item.get("period", "quarter"),
            link=item.get("link"),
        )  # fmt: skip
    return digests


def parse(
    raw: Any, root: Path, env: Mapping[str, str] | None = None, plugins: bool = True
) -> Project:
    """Validate a loaded bizops.yml document and build the Project.

    ``plugins=False`` is for commands that start no tap or target (history, state, transform,
    metrics): the taps', targets' and pipelines' ``${VAR}`` references need not be set, and
    the unset ones stay references; the warehouse's are resolved as always.
    """
    if raw is None:
        raw = {}
    _validate(raw, root)
    _check_secrets(raw, [])
    redactor = Redactor()
    doc = _resolve(raw, os.environ if env is None else env, redactor, [], plugins)
    taps, targets = doc.get("taps") or {}, doc.get("targets") or {}
    pipelines: dict[str, Pipeline] = {}
    raw_taps, raw_targets = raw.get("taps") or {}, raw.get("targets") or {}
    for index, item in enumerate(doc["pipelines"]):
        if item["name"] in pipelines:
            raise ConfigurationError(
                f"{PROJECT_FILE}: pipelines.{index}.name: duplicate name {item['name']!r}"
            )
        if item["name"] in RESERVED_NAMES:
            raise ConfigurationError(
                f"{PROJECT_FILE}: pipelines.{index}.name: {item['name']!r} is reserved (run "
                f"history names `bizops {item['name']}` runs so)"
            )
        _check_schedule(index, item.get("schedule"))
        tap_overrides = {**(item.get("config") or {}), **(item.get("tap_config") or {})}
        raw_item = raw["pipelines"][index]
        raw_tap, raw_target = (
            {
                key: (value, f"pipelines.{index}.{part}.{key}")
                for part in parts
                for key, value in (raw_item.get(part) or {}).items()
            }
            for parts in (("config", "tap_config"), ("target_config",))
        )
        pipelines[item["name"]] = Pipeline(
            name=item["name"],
            tap=_plugin("tap", item["tap"], taps, tap_overrides, (raw_taps, raw_tap)),
            target=_plugin(
                "target",
                item["target"],
                targets,
                item.get("target_config"),
                (raw_targets, raw_target),
            ),
            schedule=item.get("schedule"),
            select=tuple(item.get("select") or ()),
            full_refresh_streams=tuple(item.get("full_refresh_streams") or ()),
            transform=bool(item.get("transform")),
        )
    database_url = (doc.get("warehouse") or {}).get("database_url")
    return Project(
        root=root,
        database_url=database_url,
        pipelines=pipelines,
        redactor=redactor,
        taps={name: _plugin("tap", name, taps, None, (raw_taps, {})) for name in taps},
        targets={
            name: _plugin("target", name, targets, None, (raw_targets, {})) for name in targets
        },
        project_id=doc.get("project_id"),
        transform_schema=(doc.get("transform") or {}).get("schema"),
        transform_vars=dict((doc.get("transform") or {}).get("vars") or {}),
        digests=_digests(raw, doc),
    )


def load(root: Path, env: Mapping[str, str] | None = None, plugins: bool = True) -> Project:
    """Load ``<root>/bizops.yml`` (``plugins``: see :func:`parse`)."""
    path = Path(root) / PROJECT_FILE
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"no {PROJECT_FILE} in {Path(root).resolve()}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{PROJECT_FILE} is not valid YAML: {exc}") from None
    return parse(raw, Path(root).resolve(), env, plugins)
