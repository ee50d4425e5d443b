"""The two child processes of a run: start them joined by an OS pipe, relay signals, reap them."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bizops.plugin_io import StderrPump
from bizops_core.errors import TapFailed, TargetFailed

PR_SET_PDEATHSIG = 1
_LIBC: Any = None


def _die_with_parent() -> None:
    """In the child, before exec: own process group (a terminal's Ctrl-C reaches bizops only,
    which then stops the tap politely), and SIGKILL when bizops dies, so a killed orchestrator
    never leaves a tap or target running without its lock."""
    os.setpgid(0, 0)
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _load_libc() -> None:
    global _LIBC
    if _LIBC is None and os.uname().sysname == "Linux":
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


@dataclass
class Children:
    """A running tap | target pair and the threads reading their stderr."""

    tap: subprocess.Popen[bytes]
    target: subprocess.Popen[bytes]
    pumps: list[StderrPump] = field(default_factory=list)

    def kill(self) -> None:
        """SIGKILL both (the second signal, or an error in bizops itself)."""
        for child in (self.tap, self.target):
            if child.poll() is None:
                child.kill()

    def wait(self) -> tuple[int, int]:
        """Wait for both children and their stderr readers; (tap code, target code)."""
        target_rc, tap_rc = self.target.wait(), self.tap.wait()
        for pump in self.pumps:
            pump.join()
        return tap_rc, target_rc


def start(
    tap_cmd: list[str],
    target_cmd: list[str],
    write: Callable[[str], None],
    redact: Callable[[str], str],
    on_count: Callable[[], None] | None = None,
) -> Children:
    """Start ``tap_cmd | target_cmd``; stderr of both goes line by line to ``write``."""
    _load_libc()
    try:
        # The commands come from the user's own project file: running them is the point.
        tap = subprocess.Popen(  # noqa: S603
            tap_cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
    except OSError as exc:
        raise TapFailed(f"cannot start tap {tap_cmd[0]!r}: {exc}") from None
    try:
        target = subprocess.Popen(  # noqa: S603
            target_cmd,
            stdin=tap.stdout,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
    except OSError as exc:
        tap.kill()
        raise TargetFailed(f"cannot start target {target_cmd[0]!r}: {exc}") from None
    if tap.stdout is None or tap.stderr is None or target.stderr is None:
        raise RuntimeError("subprocess pipes were not created")
    tap.stdout.close()  # the pipe now belongs to the two children only
    children = Children(tap, target)
    for label, stream in (("tap", tap.stderr), ("target", target.stderr)):
        pump = StderrPump(label, stream, write, redact, on_count)
        pump.start()
        children.pumps.append(pump)
    return children


class SignalRelay:
    """While active, the first SIGTERM/SIGINT stops the tap (the target then drains, commits and
    confirms its last state); a second one kills both children."""

    def __init__(self, on_signal: Callable[[int], None] | None = None) -> None:
        self.children: Children | None = None
        self.on_signal = on_signal
        self.signalled: int | None = None
        self.forced = False
        self._previous: dict[int, Any] = {}

    def attach(self, children: Children) -> None:
        """The children to stop; a signal that came while they started is acted on now."""
        self.children = children
        if self.signalled is not None:
            self._stop()

    def _stop(self) -> None:
        if self.children is None:
            return
        if self.forced:
            self.children.kill()
        elif self.children.tap.poll() is None:
            self.children.tap.terminate()

    def _handle(self, signum: int, _frame: Any) -> None:
        self.forced = self.signalled is not None
        self.signalled = self.signalled or signum
        self._stop()
        if self.on_signal is not None and not self.forced:
            self.on_signal(signum)

    def __enter__(self) -> SignalRelay:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
