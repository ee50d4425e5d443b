"""Library behind the CLI's multi-step commands: run many, cron, test, select, init."""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bizops.plan import RunOptions
from bizops.progress import Progress
from bizops.project import PROJECT_FILE, Project
from bizops.runner import Runner, RunResult
from bizops_core.errors import BizOpsError, ConfigurationError, PipelineLocked

LOGGER = logging.getLogger("bizops.ops")


@dataclass
class BatchResult:
    """Outcome of running several pipelines: results, skipped ones with the reason, errors."""

    results: list[RunResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    errors: dict[str, BizOpsError] = field(default_factory=dict)
    transform: Any = None  # the TransformResult of a `transform: true` build, if one ran
    digests: dict[str, tuple[str, ...]] = field(default_factory=dict)  # sent: the teams

    @property
    def exit_code(self) -> int:
        """0 if everything ran (or was skipped), else the exit code of the first failure."""
        for result in self.results:
            if result.error is not None:
                return result.error.exit_code
        return next((e.exit_code for e in self.errors.values()), 0)


def run_many(
    project: Project,
    names: list[str],
    options: RunOptions,
    progress: Progress | None = None,
    skip_locked: bool = False,
) -> BatchResult:
    """Run ``names`` one after the other; a failure does not stop the next pipeline."""
    for name in names:
        project.pipeline(name)  # unknown names fail before anything runs
    runner, batch = Runner(project, progress), BatchResult()
    for name in names:
        try:
            result = runner.run(name, options)
        except PipelineLocked as exc:
            if skip_locked:
                batch.skipped[name] = "already running"
            else:
                batch.errors[name] = exc
            continue
        except BizOpsError as exc:
            batch.errors[name] = exc
            continue
        if result is None:
            batch.skipped[name] = "not due"
        else:
            batch.results.append(result)
    _transform_after(project, batch, skip_locked)
    return batch


def _transform_after(project: Project, batch: BatchResult, skip_locked: bool) -> None:
    """Build the analytic layer once if a pipeline that ran without error has
    ``transform: true``; its failure is the batch's error ``transform``."""
    wanted = [
        r.pipeline for r in batch.results
        if r.error is None and project.pipeline(r.pipeline).transform
    ]  # fmt: skip
    if not wanted:
        return
    from bizops.transform import transform

    LOGGER.info("transform after %s", ", ".join(wanted))
    try:
        batch.transform = transform(project)
    except PipelineLocked as exc:
        if skip_locked:
            batch.skipped["transform"] = "already running"
        else:
            batch.errors["transform"] = exc
    except BizOpsError as exc:
        batch.errors["transform"] = exc


def cron(project: Project, progress: Progress | None = None) -> BatchResult:
    """Run every scheduled pipeline that is due, once; locked ones are skipped (safe to call
    every minute, and from two machines at once)."""
    names = [name for name, p in sorted(project.pipelines.items()) if p.schedule]
    options = RunOptions(trigger="cron", only_if_due=True)
    batch = run_many(project, names, options, progress, skip_locked=True)
    _digests_due(project, batch)
    return batch


def _digests_due(project: Project, batch: BatchResult) -> None:
    """Send the scheduled digests that are due, after the pipelines and their transform."""
    from bizops.digest import send_due

    for entry in (d for _, d in sorted(project.digests.items()) if d.schedule):
        try:
            result = send_due(project, entry)
        except PipelineLocked:
            batch.skipped[entry.run_name] = "already running"
        except BizOpsError as exc:
            batch.errors[entry.run_name] = exc
        else:
            if result is not None:
                batch.digests[entry.run_name] = result.sent


@dataclass(frozen=True)
class Check:
    """One check of ``bizops test``."""

    name: str
    ok: bool
    detail: str


def test_pipeline(project: Project, name: str) -> list[Check]:
    """The tap can authenticate and discover; the target exists; the warehouse is reachable."""
    from bizops import catalog as catalogs
    from bizops import plugins

    pipeline = project.pipeline(name)
    checks: list[Check] = []
    try:
        runner = Runner(project)
        with runner.store() as store:
            state = store.get_state(name)
        checks.append(Check("warehouse", True, f"reachable; stored state: {state is not None}"))
    except BizOpsError as exc:
        checks.append(Check("warehouse", False, str(exc)))
    try:
        exe = plugins.executable(project, pipeline.tap)
        found = catalogs.discover(project, pipeline.tap, pipeline.tap.config, exe)
        checks.append(Check("tap", True, f"discovered {len(found['streams'])} stream(s)"))
    except BizOpsError as exc:
        checks.append(Check("tap", False, str(exc)))
    try:
        target = plugins.executable(project, pipeline.target)
        checks.append(Check("target", *_runnable(target)))
    except BizOpsError as exc:
        checks.append(Check("target", False, str(exc)))
    return checks


def _runnable(exe: str) -> tuple[bool, str]:
    """Whether ``exe`` can be started, and the path or the reason it cannot."""
    path = Path(exe)
    if not path.is_file():
        return False, f"{exe}: not found"
    if not os.access(path, os.X_OK):
        return False, f"{exe}: not executable"
    return True, exe


def select(project: Project, name: str, stream: str, fields: tuple[str, ...], exclude: bool) -> Any:
    """Add selection patterns for ``stream`` (and ``fields``) to the pipeline in bizops.yml;
    returns the pipeline's new ``select`` list. The file is rewritten (comments are lost).
    A stream or field that the tap's catalog does not have is refused, naming it."""
    from bizops import catalog as catalogs
    from bizops import plugins

    pipeline = project.pipeline(name)
    prefix = "!" if exclude else ""
    patterns = [f"{prefix}{stream}.{f}" for f in fields] or [f"{prefix}{stream}.*"]
    exe = plugins.executable(project, pipeline.tap)
    found = catalogs.load_catalog(project, pipeline.tap, pipeline.tap.config, exe)
    catalogs.check_selection(found, patterns, pipeline.tap.name)
    path = project.root / PROJECT_FILE
    doc = yaml.safe_load(path.read_text("utf-8"))
    item = next(p for p in doc["pipelines"] if p["name"] == name)
    selection = list(item.get("select") or [])
    selection += [p for p in patterns if p not in selection]
    item["select"] = selection
    path.write_text(yaml.safe_dump(doc, sort_keys=False), "utf-8")
    return selection


def init(folder: Path, force: bool = False) -> Path:
    """Write a commented starter bizops.yml into ``folder``."""
    path = Path(folder) / PROJECT_FILE
    if path.exists() and not force:
        raise ConfigurationError(f"{path} exists (use --force to overwrite it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    from bizops.starter import STARTER

    path.write_text(STARTER.replace("__PROJECT_ID__", uuid.uuid4().hex), "utf-8")
    gitignore = path.parent / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(".bizops/\n", "utf-8")
    return path


def check_state_stream(project: Project, name: str, stored: Any, stream: str) -> None:
    """Refuse to set or clear the bookmark of a stream that neither the stored state nor the
    tap's catalog knows (a typo would write a bookmark no tap reads, or clear nothing). The
    catalog is ``catalogs/<tap>.json`` or the cached discovery; without one it only warns."""
    from bizops import catalog as catalogs
    from bizops.state import bookmarks

    marks = bookmarks(stored)
    if stream in marks:
        return
    tap = project.pipeline(name).tap
    found = catalogs.load_catalog(project, tap, tap.config, "", discover_missing=False)
    if found is None:
        LOGGER.warning(
            "%s: stream %r has no bookmark and %s has no catalog to check it against "
            "(`bizops discover %s --write` makes one)",
            name,
            stream,
            tap.name,
            tap.name,
        )
        return
    known = set(catalogs.stream_names(found))
    if stream not in known:
        raise ConfigurationError(
            f"{name}: no stream {stream!r} in the stored state or the {tap.name} catalog "
            f"(streams: {', '.join(sorted(known | set(marks))) or 'none'})"
        )
