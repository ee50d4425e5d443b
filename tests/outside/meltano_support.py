"""Meltano for the tests: installed from the package registry into a venv of its own under
``.bizops/outside-tools/meltano`` (never into our venv: its dependencies may clash with ours),
once per pinned version, and run offline in a project made of CONTRIBUTING.md's meltano.yml."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import Any

import yaml

from tests.readme_support import block

REPO = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
MELTANO_SPEC = "meltano==4.4.1"
MELTANO_VENV = REPO / ".bizops" / "outside-tools" / "meltano"
CONTRIBUTING = REPO / "CONTRIBUTING.md"
# Nothing may leave the machine: no usage statistics, no check for a newer Meltano, no
# installing plugins (ours are on PATH).
OFFLINE = {
    "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
    "MELTANO_DISABLE_TRACKING": "true",
    "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
    "MELTANO_AUTO_INSTALL": "false",
    "MELTANO_CLI_LOG_FORMAT": "uncolored",
}


def meltano_command() -> Path:
    """The ``meltano`` executable, installing it first when the cached venv is missing or
    holds another version (the marker file names the pinned spec)."""
    command = MELTANO_VENV / "bin" / "meltano"
    marker = MELTANO_VENV / "installed.txt"
    if command.exists() and marker.exists() and marker.read_text() == MELTANO_SPEC:
        return command
    started = time.monotonic()
    venv.create(MELTANO_VENV, with_pip=True, clear=True)
    subprocess.run([str(MELTANO_VENV / "bin" / "pip"), "install", "-q", MELTANO_SPEC], check=True)
    marker.write_text(MELTANO_SPEC)
    sys.stderr.write(f"installed {MELTANO_SPEC} in {time.monotonic() - started:.0f} s\n")
    return command


def snippet_text() -> str:
    """The meltano.yml of CONTRIBUTING.md, as written there."""
    return block(CONTRIBUTING, "meltano-yml")


def snippet() -> dict[str, Any]:
    return yaml.safe_load(snippet_text())


def with_pip_url(text: str, pip_url: str) -> str:
    """The snippet with ``pip_url`` on each plugin (after its ``executable`` line)."""
    lines = []
    for line in text.splitlines():
        lines.append(line)
        name = line.strip().removeprefix("executable:").strip()
        if line.strip().startswith("executable:") and name.startswith(("tap-", "target-")):
            lines.append(line[: line.index("executable")] + f"pip_url: {pip_url}")
    return "\n".join(lines) + "\n"


def build_wheel(folder: Path) -> Path:
    """The bizops wheel of this checkout, built into ``folder`` (about 2 s)."""
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(folder), str(REPO)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = folder.glob("bizops-*.whl")
    return wheel


class Meltano:
    """A Meltano project in ``folder`` (CONTRIBUTING.md's meltano.yml, verbatim) run with
    ``env`` (the settings' environment variables) over a scrubbed environment."""

    def __init__(self, folder: Path, env: dict[str, str], pip_url: str | None = None) -> None:
        self.folder = folder
        self.command = meltano_command()
        text = snippet_text() + "\n"
        inherited = {k: v for k, v in os.environ.items()
                     if not k.startswith(("MELTANO_", "TAP_", "TARGET_"))}  # fmt: skip
        path = inherited.get("PATH", "")
        if pip_url is None:
            # our commands first on PATH: the snippet names them by `executable`
            path = f"{BIN}{os.pathsep}{path}"
        else:
            # as CONTRIBUTING.md says: a pip_url on each plugin, then `meltano install`;
            # our venv stays off PATH, so the plugins can only run from Meltano's venvs
            text = with_pip_url(text, pip_url)
            path = os.pathsep.join(p for p in path.split(os.pathsep) if Path(p) != BIN)
        (folder / "meltano.yml").write_text(text, encoding="utf-8")
        self.env = {**inherited, **OFFLINE, **env, "PATH": path}

    def run(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.command), *args], cwd=self.folder, env=self.env, capture_output=True,
            text=True, timeout=timeout, check=False,
        )  # fmt: skip

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``meltano ARGS``, asserting it exits 0 (its stderr tail in the failure)."""
        done = self.run(*args)
        assert done.returncode == 0, f"meltano {' '.join(args)}: {done.stderr[-3000:]}"
        return done


if __name__ == "__main__":
    sys.stdout.write(f"{meltano_command()}\n")
