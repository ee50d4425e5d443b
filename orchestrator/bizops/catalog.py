"""Singer catalogs: discovery (cached), and stream/field selection patterns applied to metadata."""

from __future__ import annotations

import copy
import fnmatch
import json
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bizops import rundir
from bizops.project import Plugin, Project
from bizops_core.errors import ConfigurationError, TapFailed

CATALOGS = Path("catalogs")
CACHE = Path(".bizops") / "catalogs"


def catalog_path(project: Project, tap: str, cached: bool = False) -> Path:
    """``catalogs/<tap>.json`` (kept in the project) or its cache under ``.bizops/catalogs``."""
    return project.root / (CACHE if cached else CATALOGS) / f"{tap}.json"


def discover(project: Project, plugin: Plugin, config: Mapping[str, Any], exe: str) -> dict:
    """Run ``<tap> --discover`` with ``config``; the catalog, or TapFailed with its last lines."""
    with rundir.private_dir(project.root, "discover") as tmp:
        path = rundir.write_json(tmp, "config.json", dict(config))
        try:
            done = subprocess.run(  # noqa: S603 - the user's own tap
                [exe, "--config", str(path), "--discover"],
                capture_output=True,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except OSError as exc:  # missing, not executable, not a program
            raise TapFailed(f"cannot start tap {exe!r}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        tail = project.redactor(done.stderr.decode("utf-8", "replace")).strip().splitlines()[-5:]
        raise TapFailed(
            f"{plugin.name} --discover exited with {done.returncode}: " + " | ".join(tail)
        )
    try:
        catalog = json.loads(done.stdout)
    except ValueError:
        first = done.stdout.decode("utf-8", "replace").strip().partition("\n")[0]
        printed = f"its output begins {project.redactor(first[:80])!r}" if first else "no output"
        raise TapFailed(f"{plugin.name} --discover printed no JSON catalog ({printed})") from None
    if not isinstance(catalog, dict) or not isinstance(catalog.get("streams"), list):
        raise TapFailed(f"{plugin.name} --discover printed no 'streams' list")
    return catalog


def load_catalog(
    project: Project,
    plugin: Plugin,
    config: Mapping[str, Any],
    exe: str,
    discover_missing: bool = True,
) -> dict[str, Any] | None:
    """The tap's catalog: ``catalogs/<tap>.json`` if present, else the cached discovery, else a
    fresh discovery written to the cache (None instead with ``discover_missing`` False)."""
    for path in (catalog_path(project, plugin.name), catalog_path(project, plugin.name, True)):
        if path.is_file():
            try:
                return json.loads(path.read_text("utf-8"))
            except ValueError as exc:
                raise ConfigurationError(f"{path} is not valid JSON: {exc}") from None
    if not discover_missing:
        return None
    catalog = discover(project, plugin, config, exe)
    write_catalog(catalog_path(project, plugin.name, True), catalog)
    return catalog


def write_catalog(path: Path, catalog: Mapping[str, Any]) -> None:
    """Write a catalog atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(catalog, indent=2) + "\n", "utf-8")
    tmp.replace(path)


def stream_names(catalog: Mapping[str, Any]) -> list[str]:
    """The ``tap_stream_id`` of every stream."""
    return [s.get("tap_stream_id") or s.get("stream") for s in catalog.get("streams", [])]


def _split(pattern: str) -> tuple[bool, str, str | None]:
    negative = pattern.startswith("!")
    stream, _, field = pattern.lstrip("!").partition(".")
    return negative, stream, (field or None)


def _matches(patterns: Iterable[str], stream: str, field: str | None) -> tuple[bool, bool]:
    """(included, excluded) of a stream (``field`` None) or a field under the patterns."""
    included = excluded = False
    for pattern in patterns:
        negative, s_pat, f_pat = _split(pattern)
        if not fnmatch.fnmatchcase(stream, s_pat):
            continue
        if field is None:
            hit = f_pat in (None, "*") if negative else True
        else:
            hit = f_pat is None or fnmatch.fnmatchcase(field, f_pat)
        if negative:
            excluded |= hit
        else:
            included |= hit
    return included, excluded


def field_names(stream: Mapping[str, Any]) -> list[str]:
    """The top-level properties of a catalog stream (from its schema and its metadata)."""
    props = list((stream.get("schema") or {}).get("properties") or {})
    for entry in stream.get("metadata", []):
        crumb = entry.get("breadcrumb") or []
        if len(crumb) == 2 and crumb[0] == "properties" and crumb[1] not in props:
            props.append(crumb[1])
    return props


def unmatched(catalog: Mapping[str, Any], patterns: Iterable[str]) -> list[str]:
    """The selection patterns that match no stream of ``catalog``, or no field of the streams
    they match (a typo there would silently select nothing)."""
    streams = {
        s.get("tap_stream_id") or s.get("stream"): field_names(s)
        for s in catalog.get("streams", [])
    }
    missing = []
    for pattern in patterns:
        _negative, s_pat, f_pat = _split(pattern)
        hits = [name for name in streams if fnmatch.fnmatchcase(name, s_pat)]
        fields = [f for name in hits for f in streams[name]]
        if not hits or (
            f_pat not in (None, "*") and not any(fnmatch.fnmatchcase(f, f_pat) for f in fields)
        ):
            missing.append(pattern)
    return missing


def _listing(names: Iterable[str], limit: int = 12) -> str:
    names = sorted(names)
    more = f", … ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def check_selection(catalog: Mapping[str, Any], patterns: Iterable[str], tap: str) -> None:
    """A ConfigurationError naming the patterns that select nothing in ``tap``'s catalog."""
    missing = unmatched(catalog, patterns)
    if missing:
        raise ConfigurationError(
            f"select: {', '.join(repr(p) for p in missing)} match(es) no stream or field of the "
            f"{tap} catalog (streams: {_listing(stream_names(catalog))}); fix the name, or "
            f"refresh the catalog with `bizops discover {tap} --write`"
        )


def check_streams(catalog: Mapping[str, Any], names: Iterable[str], setting: str) -> None:
    """A ConfigurationError naming the streams of ``setting`` that ``catalog`` does not have."""
    known = stream_names(catalog)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigurationError(
            f"{setting}: unknown stream(s) {', '.join(repr(n) for n in unknown)} "
            f"(streams: {_listing(known)})"
        )


def select(
    catalog: Mapping[str, Any], patterns: Iterable[str], only: Iterable[str] = ()
) -> dict[str, Any]:
    """A copy of ``catalog`` with ``selected`` metadata set from ``patterns`` (see README), and
    limited to the streams in ``only`` when given. Unknown streams in ``only`` are an error."""
    patterns, only = list(patterns), set(only)
    result = copy.deepcopy(dict(catalog))
    unknown = only - set(stream_names(result))
    if unknown:
        raise ConfigurationError(
            f"unknown stream(s): {', '.join(sorted(unknown))} "
            f"(streams: {_listing(stream_names(result))})"
        )
    for stream in result.get("streams", []):
        name = stream.get("tap_stream_id") or stream.get("stream")
        for entry in stream.get("metadata", []):
            crumb, meta = entry.get("breadcrumb") or [], entry.setdefault("metadata", {})
            if not crumb:
                inc, exc = _matches(patterns, name, None) if patterns else (True, False)
                meta["selected"] = inc and not exc and (not only or name in only)
            elif len(crumb) == 2 and crumb[0] == "properties" and patterns:
                inc, exc = _matches(patterns, name, crumb[1])
                meta["selected"] = meta.get("inclusion") == "automatic" or (inc and not exc)
    return result


def selected_streams(catalog: Mapping[str, Any]) -> list[str]:
    """Streams whose top-level metadata says ``selected``."""
    names = []
    for stream in catalog.get("streams", []):
        for entry in stream.get("metadata", []):
            if not entry.get("breadcrumb") and entry.get("metadata", {}).get("selected"):
                names.append(stream.get("tap_stream_id") or stream.get("stream"))
    return names
