"""Run progress for people and machines: a live line on a terminal, timestamped lines, or JSON."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bizops.plan import RunPlan
    from bizops.runner import RunResult


class Progress:
    """Receives run events; the base class ignores them."""

    def installing(self, pipeline: str, plugin: str, pip_url: str) -> None:
        """A run took its lock and installs a plugin from its ``pip_url`` (first use)."""

    def started(self, pipeline: str, run_id: int, plan: RunPlan) -> None:
        """A run took its lock and is starting its tap and target."""

    def counts(self, read: dict[str, int], loaded: dict[str, int] | None) -> None:
        """Per-stream counts changed (rows read by the tap, loaded by the target: None for a
        target that reports none)."""

    def state_stored(self, total: int) -> None:
        """The target confirmed a state and bizops stored it."""

    def signalled(self, signum: int) -> None:
        """A stop signal arrived: the tap is being stopped."""

    def finished(self, result: RunResult) -> None:
        """The run ended."""


NullProgress = Progress


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fmt(counts: dict[str, int] | None) -> str:
    if counts is None:
        return "?"  # a target that reports no counts
    return ", ".join(f"{s}={n}" for s, n in sorted(counts.items())) or "no records"


class PlainProgress(Progress):
    """One timestamped line per event (cron, CI, log files); counts at most every ``every`` s."""

    def __init__(self, out: TextIO, every: float = 10.0) -> None:
        self.out, self.every, self._last = out, every, 0.0
        self.pipeline = ""

    def _line(self, text: str) -> None:
        self.out.write(f"{_now()} {self.pipeline}: {text}\n")
        self.out.flush()

    def installing(self, pipeline: str, plugin: str, pip_url: str) -> None:
        self.pipeline = pipeline
        self._line(f"installing {plugin} from {pip_url} (first use)")

    def started(self, pipeline: str, run_id: int, plan: RunPlan) -> None:
        self.pipeline = pipeline
        self._line(f"run {run_id} started")

    def counts(self, read: dict[str, int], loaded: dict[str, int] | None) -> None:
        if time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            self._line(f"read {_fmt(read)}; loaded {_fmt(loaded)}")

    def signalled(self, signum: int) -> None:
        self._line(f"signal {signum}: stopping the tap, letting the target commit")

    def finished(self, result: RunResult) -> None:
        self._line(
            f"run {result.run_id} {result.status} in {result.seconds:.1f}s "
            f"(loaded {_fmt(result.record_counts)}); log: {result.log_path}"
        )


class JsonProgress(Progress):
    """One JSON object per event, for machines."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.pipeline = ""

    def _emit(self, event: str, **fields: Any) -> None:
        record = {"time": _now(), "event": event, "pipeline": self.pipeline, **fields}
        self.out.write(json.dumps(record, default=str) + "\n")
        self.out.flush()

    def installing(self, pipeline: str, plugin: str, pip_url: str) -> None:
        self.pipeline = pipeline
        self._emit("installing", plugin=plugin, pip_url=pip_url)

    def started(self, pipeline: str, run_id: int, plan: RunPlan) -> None:
        self.pipeline = pipeline
        self._emit("run_started", run_id=run_id)

    def counts(self, read: dict[str, int], loaded: dict[str, int] | None) -> None:
        self._emit("counts", read=read, loaded=loaded)

    def state_stored(self, total: int) -> None:
        self._emit("state_stored", states=total)

    def signalled(self, signum: int) -> None:
        self._emit("signal", signal=signum)

    def finished(self, result: RunResult) -> None:
        self._emit(
            "run_finished",
            run_id=result.run_id,
            status=result.status,
            seconds=round(result.seconds, 3),
            loaded=result.record_counts,
            read=result.rows_read,
            rejected=result.rows_rejected,
            error=str(result.error) if result.error else None,
            log=str(result.log_path),
        )


class TtyProgress(Progress):
    """A live line redrawn in place: elapsed time, per-stream counts, states stored."""

    def __init__(self, out: TextIO, interval: float = 0.25) -> None:
        self.out, self.interval = out, interval
        self.read: dict[str, int] = {}
        self.loaded: dict[str, int] | None = {}
        self.states = 0
        self.pipeline = ""
        self._t0 = time.monotonic()
        self._installing: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _draw(self) -> None:
        loaded = self.loaded or {}
        counts = _fmt({s: max(self.read.get(s, 0), n) for s, n in loaded.items()} or self.read)
        text = f"\r\x1b[K{self.pipeline}: {time.monotonic() - self._t0:5.1f}s  {counts}"
        self.out.write(f"{text}  states={self.states}")
        self.out.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._draw()

    def installing(self, pipeline: str, plugin: str, pip_url: str) -> None:
        if self._installing != pipeline:  # the run's time starts with its installs
            self._installing, self._t0 = pipeline, time.monotonic()
        self.out.write(f"{pipeline}: installing {plugin} from {pip_url} (first use)\n")
        self.out.flush()

    def started(self, pipeline: str, run_id: int, plan: RunPlan) -> None:
        if self._installing != pipeline:
            self._t0 = time.monotonic()
        self.pipeline, self._installing = pipeline, None
        self.read, self.loaded, self.states = {}, {}, 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)
        self._thread.start()

    def counts(self, read: dict[str, int], loaded: dict[str, int] | None) -> None:
        self.read, self.loaded = read, loaded

    def state_stored(self, total: int) -> None:
        self.states = total

    def finished(self, result: RunResult) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.out.write("\r\x1b[K")
        plain = PlainProgress(self.out)
        plain.pipeline = self.pipeline
        plain.finished(result)


def for_stream(out: TextIO, log_format: str) -> Progress:
    """``json`` → JsonProgress; ``auto`` → live line on a terminal, plain lines otherwise."""
    if log_format == "json":
        return JsonProgress(out)
    if log_format == "auto" and out.isatty():
        return TtyProgress(out)
    return PlainProgress(out)
