"""Runs one pipeline: lock, state in, tap | target over an OS pipe, state out, run history."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizops import plugins, process, rundir
from bizops.plan import RunOptions, RunPlan, TargetPlan, bookmarks_for, make_plan, plan_target
from bizops.plugins import FIRST_PARTY_TARGETS
from bizops.progress import NullProgress, Progress
from bizops.project import Pipeline, Project
from bizops.store import Store
from bizops.warehouse import EMBEDDED_DIR, resolve_database_url
from bizops_core.errors import (
    BizOpsError,
    ConfigurationError,
    DataError,
    Interrupted,
    TapFailed,
    TargetFailed,
)
from bizops_core.redact import connection_passwords, mask_connection_strings
from bizops_core.singer_state import state_problem

LOGGER = logging.getLogger("bizops.runner")
CUT_SHORT = Interrupted.exit_code  # the target's code for an input that ended early
MIRROR_SECONDS = 1.0  # how often bizops stores its copy of a state the target committed itself


@dataclass
class RunResult:
    """What one run did (``record_counts``: rows loaded per stream, None when the target
    reports no counts)."""

    run_id: int
    pipeline: str
    status: str
    record_counts: dict[str, int] | None
    state: Any
    states_stored: int
    log_path: Path
    seconds: float
    error: BizOpsError | None = None
    rows_read: dict[str, int] | None = None
    rows_rejected: dict[str, int] | None = None


@dataclass
class _Outcome:
    stored: int = 0
    last: Any = None
    error: BizOpsError | None = None


class Runner:
    """Runs pipelines of one project against its warehouse."""

    def __init__(
        self, project: Project, progress: Progress | None = None, start: bool = True
    ) -> None:
        """``start`` False: an embedded warehouse is used only if it runs already (dry runs)."""
        self.project = project
        self.redact = project.redactor
        self.progress = progress or NullProgress()
        url = resolve_database_url(project.root, project.database_url, start=start)
        for password in connection_passwords(url or ""):
            self.redact.add(password)
        self._url = url
        if project.project_id is None:
            LOGGER.warning(
                "bizops.yml has no project_id: this project's state, run history and locks are "
                "shared with every other project without one on the same warehouse. Add a line "
                "`project_id: %s` (any id unique to this project; `bizops init` writes one), "
                "then `bizops state claim PIPELINE` keeps the state stored so far",
                uuid.uuid4().hex,
            )

    @property
    def database_url(self) -> str:
        """The warehouse URL (a ConfigurationError for a runner that may not start it)."""
        if self._url is None:
            raise ConfigurationError("the embedded warehouse is not running")
        return self._url

    def store(self) -> Store:
        """A new connection to the orchestrator tables."""
        return Store(self.database_url, redact=self.redact, project=self.project.project_id or "")

    def plan(self, name: str, options: RunOptions | None = None) -> RunPlan:
        """What ``run`` would do, without taking the lock or starting anything: with
        ``options.dry_run`` nothing is installed, discovered or started either."""
        options = options or RunOptions()
        pipeline = self.project.pipeline(name)
        if self._url is None:
            url = f"(the embedded PostgreSQL in {self.project.root / EMBEDDED_DIR})"
            plan = make_plan(self.project, pipeline, None, url, options)
            plan.notes["state_in"] = "unknown: the embedded warehouse is not running (not started)"
            return plan
        target = plan_target(self.project, pipeline, self._url, install=not options.dry_run)
        with self.store() as store:
            stored = store.preview_state(name, bookmarks_for(pipeline, target))
        return make_plan(self.project, pipeline, stored, self._url, options, target)

    def run(self, name: str, options: RunOptions | None = None) -> RunResult | None:
        """Run pipeline ``name`` once; raises PipelineLocked if it is already running. With
        ``options.only_if_due`` it returns None when, once locked, the schedule is not due."""
        options = options or RunOptions()
        pipeline = self.project.pipeline(name)
        with self.store() as store:
            store.lock(pipeline.name)
            if options.only_if_due and pipeline.schedule:
                from bizops.schedule import is_due

                if not is_due(pipeline.schedule, store.last_started(name)):
                    return None
            # The run starts here: a first run's plugin installs are part of its duration.
            started = (time.monotonic(), store.clock())
            installed = self._install(pipeline)
            target = plan_target(self.project, pipeline, self.database_url)
            return self._run_locked(pipeline, target, store, options, (*started, installed))

    def _install(self, pipeline: Pipeline) -> list[str]:
        """Install the pipeline's ``pip_url`` plugins that need it, telling the progress; the
        lines for the run log."""
        lines = []
        for plugin in (pipeline.target, pipeline.tap):
            if plugins.needs_install(self.project, plugin):
                shown = mask_connection_strings(self.redact(plugin.pip_url or ""))
                self.progress.installing(pipeline.name, plugin.name, shown)
                began = time.monotonic()
                exe = plugins.executable(self.project, plugin)
                seconds = time.monotonic() - began
                lines.append(f"bizops | installed {plugin.name} ({shown}) in {seconds:.1f}s: {exe}")
        return lines

    def _run_locked(
        self,
        pipeline: Pipeline,
        target: TargetPlan,
        store: Store,
        options: RunOptions,
        started_at: tuple[float, Any, list[str]],
    ) -> RunResult:
        name = pipeline.name
        self._pipeline = pipeline
        log_dir = self.project.root / ".bizops" / "logs" / name
        log_dir.mkdir(parents=True, exist_ok=True)
        started, started_clock, installed = started_at
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        log_path = log_dir / f"{stamp}-{os.getpid()}.log"
        private = rundir.private_dir(self.project.root, "run")
        with private as tmp, log_path.open("w") as log:
            log_path.chmod(0o600)
            lock = threading.Lock()

            def write(line: str) -> None:
                with lock:
                    log.write(line + "\n")
                    log.flush()

            for line in installed:
                write(line)
            pump = (write, self.redact, self._counts_changed)
            with process.SignalRelay(self.progress.signalled) as relay:
                # The target starts first: its start-up overlaps the state lookup and the tap's.
                target_json = rundir.write_json(Path(tmp), "target.json", target.config)
                target_cmd = [target.exe, "--config", str(target_json)]
                children = self._children = process.start_target(target_cmd, pump, target.end_line)
                relay.attach(children)
                try:
                    plan, run_id = self._plan_run(
                        pipeline, target, store, options, (log_path, started_clock)
                    )
                except BaseException:
                    children.kill()
                    children.wait()
                    raise
                self.progress.started(name, run_id, plan)
                failed_start = None
                if relay.signalled is None:
                    tap_cmd = self._tap_command(plan, Path(tmp))
                    write(f"bizops | run {name}: {' '.join(tap_cmd)} | {' '.join(target_cmd)}")
                    try:
                        process.start_tap(children, tap_cmd, pump)
                    except TapFailed as exc:
                        failed_start = exc
                    relay.attach(children)  # acts on a signal that came while the tap started
                children.close_feed()  # without a tap, the target reads the end of its input
                outcome = self._collect(plan, store, children, relay, write)
                outcome.error = failed_start or outcome.error
        read = dict(children.tap_pump.record_counts) if children.tap_pump else {}
        loaded = _loaded(pipeline, children.target_pump)
        rejected = dict(children.target_pump.rejected)
        status = _status(outcome.error)
        message = self.redact(str(outcome.error)) if outcome.error else None
        store.finish_run(run_id, status, loaded, message, read, rejected)
        result = RunResult(
            run_id=run_id,
            pipeline=name,
            status=status,
            record_counts=loaded,
            state=outcome.last if outcome.last is not None else plan.state_in,
            states_stored=outcome.stored,
            log_path=log_path,
            seconds=time.monotonic() - started,
            error=outcome.error,
            rows_read=read,
            rows_rejected=rejected,
        )
        self.progress.finished(result)
        return result

    def _plan_run(
        self,
        pipeline: Pipeline,
        target: TargetPlan,
        store: Store,
        options: RunOptions,
        started: tuple[Path, Any],
    ) -> tuple[RunPlan, int]:
        """The run's plan from the stored state (a state the target committed but bizops never
        stored is adopted first), and its history row."""
        marks_for = bookmarks_for(pipeline, target)
        moved = store.forget_if_moved(pipeline.name, marks_for)
        if moved is not None:
            LOGGER.warning(
                "pipeline %s: the stored bookmarks are for %s, this run loads %s: it starts with "
                "no bookmark (the old state stays in bizops.state_history)",
                pipeline.name,
                _describe(moved),
                _describe(marks_for),
            )
        store.adopt_target_state(pipeline.name, marks_for)
        stored = store.get_state(pipeline.name)
        if stored is None and store.has_unclaimed_state(pipeline.name):
            LOGGER.warning(
                "pipeline %s: a state stored before project ids (by a project without a "
                "project_id) has this pipeline's name; this project does not use it. If it is "
                "this project's, `bizops state claim %s` takes it over",
                pipeline.name,
                pipeline.name,
            )
        plan = make_plan(self.project, pipeline, stored, self.database_url, options, target)
        log_path, started_at = started
        return plan, store.start_run(pipeline.name, str(log_path), options.trigger, started_at)

    def _tap_command(self, plan: RunPlan, tmp: Path) -> list[str]:
        tap_cmd = [
            plan.tap_exe,
            "--config",
            str(rundir.write_json(tmp, "tap.json", plan.tap_config)),
        ]
        if plan.state_in is not None:
            tap_cmd += ["--state", str(rundir.write_json(tmp, "state.json", plan.state_in))]
        if plan.catalog is not None:
            tap_cmd += ["--catalog", str(rundir.write_json(tmp, "catalog.json", plan.catalog))]
        return tap_cmd

    def _counts_changed(self) -> None:
        children = getattr(self, "_children", None)
        if children is not None:
            read = children.tap_pump.record_counts if children.tap_pump else {}
            self.progress.counts(dict(read), _loaded(self._pipeline, children.target_pump))

    def _collect(
        self,
        plan: RunPlan,
        store: Store,
        children: process.Children,
        relay: process.SignalRelay,
        write: Callable[[str], None],
    ) -> _Outcome:
        """Store each state line the target prints (merged per stream), then reap both."""
        outcome = _Outcome()
        try:
            self._read_states(plan, store, children, write, outcome)
        except BizOpsError as exc:  # a state that cannot be stored fails the run
            children.kill()
            outcome.error = exc
        tap_rc, target_rc = children.wait()
        tap_tail = list(children.tap_pump.tail) if children.tap_pump else []
        target_tail = list(children.target_pump.tail)
        if outcome.error is not None:
            return outcome
        if relay.signalled:
            how = "killed after a second signal" if relay.forced else "state kept"
            outcome.error = Interrupted(f"interrupted by signal {relay.signalled}; {how}")
        elif target_rc not in (0, CUT_SHORT) or (target_rc == CUT_SHORT and tap_rc == 0):
            outcome.error = TargetFailed(_failure("target", target_rc, target_tail))
        elif tap_rc != 0:  # (the target then saw its input cut short: exit 6, nothing lost)
            outcome.error = TapFailed(_failure("tap", tap_rc, tap_tail))
        return outcome

    def _read_states(
        self,
        plan: RunPlan,
        store: Store,
        children: process.Children,
        write: Callable[[str], None],
        outcome: _Outcome,
    ) -> None:
        # A foreign target's states are stored one by one as they arrive. With state_table, the
        # target committed each state with its rows (and a crashed run's last one is adopted at
        # the next start), so bizops' copy is stored at most once a second, and at the end.
        every = MIRROR_SECONDS if plan.state_table else 0.0
        pending: list[Any] = []
        stored_at = float("-inf")
        for raw in children.target.stdout or ():
            line = raw.decode("utf-8", errors="replace").strip()
            if not line:
                continue
            try:
                value = json.loads(line)
            except ValueError:
                write(f"bizops | target printed a non-JSON line on stdout: {line[:200]}")
                continue
            problem = state_problem(value)
            if problem is not None:  # the states before it are kept; this one replaces nothing
                if pending:
                    self._store_states(plan, store, pending, outcome)
                raise DataError(f"the target confirmed a state bizops refuses to store: {problem}")
            pending.append(value)
            if time.monotonic() - stored_at >= every:
                self._store_states(plan, store, pending, outcome)
                stored_at = time.monotonic()
        if pending:
            self._store_states(plan, store, pending, outcome)

    def _store_states(
        self, plan: RunPlan, store: Store, pending: list[Any], outcome: _Outcome
    ) -> None:
        """Merge the states the target confirmed into the stored one (a failure fails the run)."""
        import psycopg2

        try:
            outcome.last = store.merge_states(
                plan.pipeline.name, pending, bookmarks_for=plan.bookmarks_for
            )
        except psycopg2.Error as exc:
            raise TargetFailed(f"could not store the state the target confirmed: {exc}") from exc
        outcome.stored += len(pending)
        pending.clear()
        self.progress.state_stored(outcome.stored)


def _loaded(pipeline: Pipeline, target: process.StderrPump) -> dict[str, int] | None:
    """Rows loaded per stream as the target reported them; None (unknown) for a target that
    reports none: the tap's read counts are not what was loaded."""
    reports = pipeline.target.name in FIRST_PARTY_TARGETS and not pipeline.target.pip_url
    if reports or target.record_counts or target.rejected:
        return dict(target.record_counts)
    return None


def _describe(marks_for: Any) -> str:
    if not isinstance(marks_for, dict):
        return repr(marks_for)
    return ", ".join(f"{key} {value!r}" for key, value in sorted(marks_for.items()))


def _failure(side: str, code: int, tail: list[str]) -> str:
    last = "\n  ".join(tail[-5:]) or "(no output)"
    return f"{side} exited with code {code}; its last lines:\n  {last}"


def _status(error: BizOpsError | None) -> str:
    if error is None:
        return "succeeded"
    if isinstance(error, Interrupted):
        return "interrupted"
    return "failed"


def run_pipeline(project: Project, name: str, options: RunOptions | None = None) -> RunResult:
    """Convenience: run one pipeline of a project."""
    return Runner(project).run(name, options)
