"""The two child processes of a run: the target, then the tap writing into its pipe; signals
relayed; both reaped."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizops.plugin_io import StderrPump
from bizops_core.errors import TapFailed, TargetFailed

PR_SET_PDEATHSIG = 1
_LIBC: Any = None


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` is running: it exists (ours or another user's) and is not a
    zombie (a child of ours that exited and was not reaped yet counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ")[-1].startswith("Z"):
            return False
    return True


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
        # the symbols already loaded (libc's among them); find_library would run ldconfig -p
        _LIBC = ctypes.CDLL(None, use_errno=True)


@dataclass
class Children:
    """A run's target, then its tap (joined by an OS pipe), and the threads reading stderr.

    The target starts first, reading from a pipe whose other end (``feed``) bizops holds
    until the tap is started with it; its start-up overlaps the rest of bizops' set-up.
    """

    target: subprocess.Popen[bytes]
    target_pump: StderrPump
    feed: int | None  # the write end of the target's stdin, until the tap has it
    tap: subprocess.Popen[bytes] | None = None
    tap_pump: StderrPump | None = None
    end_line: bytes | None = None  # written after the tap's output if it exits 0 unstopped
    stopped: bool = False  # bizops asked the tap to stop (its output may be cut short)
    feeder: threading.Thread | None = None  # holds the feed until the tap exits

    def close_feed(self) -> None:
        """Close bizops' end of the target's input (without a tap: the target sees the end);
        once the tap runs with an end line, the feeder closes it after the tap exits."""
        if self.feeder is None:
            self._close_feed()

    def _close_feed(self) -> None:
        if self.feed is not None:
            os.close(self.feed)
            self.feed = None

    def _feed_end(self) -> None:
        """Wait for the tap; if it ended cleanly, tell the target its input is complete."""
        try:
            clean = self.tap is not None and self.tap.wait() == 0 and not self.stopped
            if clean and self.feed is not None:
                os.write(self.feed, self.end_line or b"")
        except OSError:  # the target is gone: it reads nothing more anyway
            pass
        finally:
            self._close_feed()

    def kill(self) -> None:
        """SIGKILL both (the second signal, or an error in bizops itself); the feed stays open
        (a signal handler may run this while the tap is being started with it)."""
        for child in (self.tap, self.target):
            if child is not None and child.poll() is None:
                child.kill()

    def wait(self) -> tuple[int, int]:
        """Wait for both children and their stderr readers; (tap code, target code), the tap's
        0 when it never started."""
        self.close_feed()
        target_rc = self.target.wait()
        tap_rc = self.tap.wait() if self.tap is not None else 0
        if self.feeder is not None:
            self.feeder.join()
        for pump in (self.tap_pump, self.target_pump):
            if pump is not None:
                pump.join()
        return tap_rc, target_rc


Pump = tuple[Callable[[str], None], Callable[[str], str], Callable[[], None] | None]


def start_target(target_cmd: list[str], pump: Pump, end_line: bytes | None = None) -> Children:
    """Start the target reading from a new pipe; its stderr goes line by line to ``pump``'s
    writer (redacted), with counts reported to its callback. With ``end_line``, bizops keeps
    the pipe open while the tap runs and writes that line after the tap's output if the tap
    exits 0 without being stopped (the target then knows its input is complete)."""
    _load_libc()
    read_end, feed = os.pipe()
    try:
        # The commands come from the user's own project file: running them is the point.
        target = subprocess.Popen(  # noqa: S603
            target_cmd,
            stdin=read_end,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
    except OSError as exc:
        os.close(feed)
        raise TargetFailed(
            f"cannot start target {target_cmd[0]!r}: {exc.strerror or exc}"
        ) from None
    finally:
        os.close(read_end)  # the pipe's reading end now belongs to the target only
    return Children(target, _read_stderr("target", target, pump), feed, end_line=end_line)


def start_tap(children: Children, tap_cmd: list[str], pump: Pump) -> None:
    """Start the tap writing into the target's pipe (which bizops then lets go of)."""
    if children.feed is None:
        raise RuntimeError("the target's input is already closed")
    try:
        tap = subprocess.Popen(  # noqa: S603 - the user's own tap
            tap_cmd,
            stdout=children.feed,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
    except OSError as exc:
        children.close_feed()
        raise TapFailed(f"cannot start tap {tap_cmd[0]!r}: {exc.strerror or exc}") from None
    children.tap = tap
    if children.end_line is None:
        children.close_feed()
    else:
        children.feeder = threading.Thread(target=children._feed_end, name="bizops-feed-end")
        children.feeder.start()
    children.tap_pump = _read_stderr("tap", tap, pump)


def _read_stderr(label: str, child: subprocess.Popen[bytes], pump: Pump) -> StderrPump:
    """Start the thread that reads ``child``'s stderr."""
    if child.stderr is None:
        raise RuntimeError("subprocess pipes were not created")
    reader = StderrPump(label, child.stderr, *pump)
    reader.start()
    return reader


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
        """The children to stop (again once the tap has started); a signal that came while they
        started is acted on now."""
        self.children = children
        if self.signalled is not None:
            self._stop()

    def _stop(self) -> None:
        if self.children is None:
            return
        if self.forced:
            self.children.kill()
        elif self.children.tap is None:
            return  # the runner does not start the tap, and closes the target's input
        elif self.children.tap.poll() is None:
            self.children.stopped = True  # before the tap can exit: no end line for it
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
