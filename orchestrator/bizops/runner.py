"""Runs one pipeline: lock, state in, tap | target over an OS pipe, state out, run history."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bizops.plugin_io import StderrPump
from bizops.project import Pipeline, Project
from bizops.store import Store
from bizops.warehouse import resolve_database_url
from bizops_core.errors import (
    BizOpsError,
    Interrupted,
    TapFailed,
    TargetFailed,
)

LOGGER = logging.getLogger("bizops.runner")
FIRST_PARTY_TARGETS = {"target-postgres"}


@dataclass
class RunResult:
    """What one run did."""

    run_id: int
    pipeline: str
    status: str
    record_counts: dict[str, int]
    state: Any
    states_stored: int
    log_path: Path
    seconds: float
    error: BizOpsError | None = None


@dataclass
class _Children:
    tap: subprocess.Popen[bytes]
    target: subprocess.Popen[bytes]
    pumps: list[StderrPump] = field(default_factory=list)


def _write_json(folder: Path, name: str, value: Any) -> Path:
    path = folder / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(value, handle)
    return path


def resolve_command(command: str) -> str:
    """An executable path: a bare name is looked up next to this Python first (so the venv's
    own taps and targets win without the venv on PATH), then on PATH."""
    if os.sep in command:
        return command
    sibling = Path(sys.executable).parent / command
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return str(sibling)
    return shutil.which(command) or command


def target_config(pipeline: Pipeline, database_url: str) -> dict[str, Any]:
    """The target's config; our own target gets the warehouse URL unless one is configured."""
    config = dict(pipeline.target.config)
    if pipeline.target.name in FIRST_PARTY_TARGETS and not (
        config.get("database_url") or config.get("host")
    ):
        config["database_url"] = database_url
    return config


class Runner:
    """Runs pipelines of one project against its warehouse."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.redact = project.redactor
        self.database_url = resolve_database_url(project.root, project.database_url)
        self.redact.add(_password(self.database_url))

    def store(self) -> Store:
        """A new connection to the orchestrator tables."""
        return Store(self.database_url, redact=self.redact)

    def run(self, name: str) -> RunResult:
        """Run pipeline ``name`` once; raises PipelineLocked if it is already running."""
        pipeline = self.project.pipeline(name)
        store = self.store()
        try:
            store.lock(pipeline.name)
            return self._run_locked(pipeline, store)
        finally:
            store.close()

    def _run_locked(self, pipeline: Pipeline, store: Store) -> RunResult:
        log_dir = self.project.root / ".bizops" / "logs" / pipeline.name
        log_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        log_path = log_dir / f"{stamp}-{os.getpid()}.log"
        run_id = store.start_run(pipeline.name, str(log_path))
        state = store.get_state(pipeline.name)
        with tempfile.TemporaryDirectory(prefix="bizops-run-") as tmp, log_path.open("w") as log:
            lock = threading.Lock()

            def write(line: str) -> None:
                with lock:
                    log.write(line + "\n")
                    log.flush()

            children = self._start(pipeline, Path(tmp), state, write)
            stored, last, error = self._collect(pipeline, store, children, write)
        counts = dict(children.pumps[0].record_counts)
        status = _status(error)
        store.finish_run(run_id, status, counts, str(error) if error else None)
        return RunResult(
            run_id=run_id,
            pipeline=pipeline.name,
            status=status,
            record_counts=counts,
            state=last if last is not None else state,
            states_stored=stored,
            log_path=log_path,
            seconds=time.monotonic() - started,
            error=error,
        )

    def _start(self, pipeline: Pipeline, tmp: Path, state: Any, write: Any) -> _Children:
        tap_config = _write_json(tmp, "tap.json", dict(pipeline.tap.config))
        tap_cmd = [resolve_command(pipeline.tap.command), "--config", str(tap_config)]
        if state is not None:
            tap_cmd += ["--state", str(_write_json(tmp, "state.json", state))]
        config = target_config(pipeline, self.database_url)
        target_json = _write_json(tmp, "target.json", config)
        target_cmd = [resolve_command(pipeline.target.command), "--config", str(target_json)]
        LOGGER.info("run %s: %s | %s", pipeline.name, pipeline.tap.command, pipeline.target.command)
        try:
            # The commands come from the user's own project file: running them is the point.
            tap = subprocess.Popen(  # noqa: S603
                tap_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            raise TapFailed(f"cannot start tap {pipeline.tap.command!r}: {exc}") from None
        try:
            target = subprocess.Popen(  # noqa: S603
                target_cmd, stdin=tap.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:
            tap.kill()
            raise TargetFailed(f"cannot start target {pipeline.target.command!r}: {exc}") from None
        if tap.stdout is None or tap.stderr is None or target.stderr is None:
            raise RuntimeError("subprocess pipes were not created")
        tap.stdout.close()  # the pipe now belongs to the two children only
        children = _Children(tap, target)
        for label, stream in (("tap", tap.stderr), ("target", target.stderr)):
            pump = StderrPump(label, stream, write, self.redact)
            pump.start()
            children.pumps.append(pump)
        return children

    def _collect(
        self, pipeline: Pipeline, store: Store, children: _Children, write: Any
    ) -> tuple[int, Any, BizOpsError | None]:
        """Store each state line the target prints, then wait for both children."""
        stored, last = 0, None
        interrupted = _SignalRelay(children.tap)
        error: BizOpsError | None = None
        with interrupted:
            for raw in children.target.stdout or ():
                line = raw.decode("utf-8").strip()
                if not line:
                    continue
                try:
                    value = json.loads(line)
                except ValueError:
                    write(f"bizops | target printed a non-JSON line on stdout: {line[:200]}")
                    continue
                store.set_state(pipeline.name, value)
                stored, last = stored + 1, value
            target_rc = children.target.wait()
            tap_rc = children.tap.wait()
            for pump in children.pumps:
                pump.join()
        tap_tail, target_tail = (list(p.tail) for p in children.pumps)
        if interrupted.signalled:
            error = Interrupted(f"interrupted by signal {interrupted.signalled}; state kept")
        elif target_rc != 0:
            error = TargetFailed(_failure("target", target_rc, target_tail))
        elif tap_rc != 0:
            error = TapFailed(_failure("tap", tap_rc, tap_tail))
        return stored, last, error


class _SignalRelay:
    """While active, SIGTERM/SIGINT stop the tap (the target then drains and commits)."""

    def __init__(self, tap: subprocess.Popen[bytes]) -> None:
        self.tap = tap
        self.signalled: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.signalled is not None:  # second signal: stop waiting politely
            self.tap.kill()
            return
        self.signalled = signum
        self.tap.terminate()

    def __enter__(self) -> _SignalRelay:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _failure(side: str, code: int, tail: list[str]) -> str:
    last = "\n  ".join(tail[-5:]) or "(no output)"
    return f"{side} exited with code {code}; its last lines:\n  {last}"


def _status(error: BizOpsError | None) -> str:
    if error is None:
        return "succeeded"
    if isinstance(error, Interrupted):
        return "interrupted"
    return "failed"


def _password(url: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).password
    except ValueError:
        return None


def run_pipeline(project: Project, name: str) -> RunResult:
    """Convenience: run one pipeline of a project."""
    return Runner(project).run(name)
