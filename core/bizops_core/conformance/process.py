"""Running a tap under test: its command, a config file, and each call's output kept whole."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TapRun:
    """One call of the tap: its arguments, exit code, stdout lines and stderr."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.strip()]

    def messages(self) -> list[dict[str, Any]]:
        """Every stdout line as JSON (raises ValueError on the first that is not an object)."""
        out = []
        for number, line in enumerate(self.lines, 1):
            try:
                message = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"stdout line {number} is not JSON: {line[:80]!r}") from exc
            if not isinstance(message, dict):
                raise ValueError(f"stdout line {number} is not a JSON object: {line[:80]!r}")
            out.append(message)
        return out


@dataclass
class TapProcess:
    """A tap to test: ``command`` (argv, or a shell-style string) and its config.

    Every call gets an empty stdin and ``timeout`` seconds; config, catalog and state are
    written to a private temporary folder. ``runs`` keeps every call, so checks about the
    output of all of them (secrets) can read it afterwards.
    """

    command: list[str] | str
    config: dict[str, Any]
    env: dict[str, str] | None = None
    timeout: float = 300.0
    runs: list[TapRun] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.command, str):
            self.command = shlex.split(self.command)
        self._folder = tempfile.TemporaryDirectory(prefix="bizops-test-tap-")
        self.folder = Path(self._folder.name)

    def close(self) -> None:
        """Delete the temporary files (configs hold secrets)."""
        self._folder.cleanup()

    def _file(self, name: str, value: Any) -> str:
        path = self.folder / name
        path.write_text(json.dumps(value), encoding="utf-8")
        path.chmod(0o600)
        return str(path)

    def call(self, *args: str, config: dict[str, Any] | None = None) -> TapRun:
        """Run the tap with ``--config`` (``config`` or the tap's own) and ``args``."""
        config_file = self._file("config.json", self.config if config is None else config)
        argv = [*self.command, "--config", config_file, *args]
        try:
            done = subprocess.run(  # noqa: S603 - the command under test, by design
                argv, env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                timeout=self.timeout, check=False,
            )  # fmt: skip
            run = TapRun(tuple(args), done.returncode, done.stdout.decode(errors="replace"),
                         done.stderr.decode(errors="replace"))  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            stderr = (exc.stderr or b"").decode(errors="replace")
            run = TapRun(tuple(args), -1, (exc.stdout or b"").decode(errors="replace"),
                         stderr + f"\n(timed out after {self.timeout:g} s)")  # fmt: skip
        self.runs.append(run)
        return run

    def sync_stopped(
        self, catalog: dict[str, Any], state: dict[str, Any] | None, after_lines: int
    ) -> TapRun:
        """A sync stopped by SIGTERM once it has written ``after_lines`` lines (SIGKILL when it
        has not ended 5 s later); the run holds what it wrote until it ended."""
        args = ["--catalog", self._file("catalog.json", catalog)]
        if state is not None:
            args += ["--state", self._file("state.json", state)]
        config_file = self._file("config.json", self.config)
        argv = [*self.command, "--config", config_file, *args]
        with tempfile.TemporaryFile() as stderr_file:
            process = subprocess.Popen(  # noqa: S603 - the command under test, by design
                argv, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=stderr_file,
            )  # fmt: skip
            stdout_pipe = process.stdout
            if stdout_pipe is None:  # never: stdout is a pipe
                raise RuntimeError("no stdout pipe")
            lines: list[bytes] = []
            for line in stdout_pipe:
                lines.append(line)
                if len(lines) == after_lines:
                    process.send_signal(signal.SIGTERM)
                    break
            killer = threading.Timer(5.0, process.kill)  # a tap that ignores SIGTERM
            killer.start()
            try:
                rest = stdout_pipe.read()  # the buffered rest too, up to the end of output
                process.wait()
            finally:
                killer.cancel()
            stderr_file.seek(0)
            stderr = stderr_file.read()
        stdout = b"".join(lines) + rest
        run = TapRun((*args, f"(stopped after {after_lines} lines)"), process.returncode,
                     stdout.decode(errors="replace"), stderr.decode(errors="replace"))  # fmt: skip
        self.runs.append(run)
        return run

    def about(self, fmt: str = "json") -> TapRun:
        return self.call("--about", "--format", fmt)

    def discover(self) -> TapRun:
        return self.call("--discover")

    def sync(self, catalog: dict[str, Any], state: dict[str, Any] | None = None) -> TapRun:
        """A sync with ``catalog`` (and ``state``)."""
        args = ["--catalog", self._file("catalog.json", catalog)]
        if state is not None:
            args += ["--state", self._file("state.json", state)]
        return self.call(*args)
