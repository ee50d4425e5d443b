"""Finding, installing and describing plugins: executables, pip venvs, ``--about`` and listings."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bizops.project import Plugin, Project
from bizops_core.errors import ConfigurationError

LOGGER = logging.getLogger("bizops.plugins")
VENVS = Path(".bizops") / "venvs"
ABOUT_CACHE = Path(".bizops") / "about"
FIRST_PARTY_TARGETS = {"target-postgres"}
DISTRIBUTION = "bizops"


@dataclass(frozen=True)
class PluginInfo:
    """One row of ``bizops plugins``."""

    name: str
    kind: str  # "tap" | "target"
    source: str  # "entry point", "command", "pip"
    executable: str | None


def resolve_command(command: str) -> str:
    """An executable path: a bare name is looked up next to this Python first (so the venv's
    own taps and targets win without the venv on PATH), then on PATH."""
    if os.sep in command:
        return command
    sibling = Path(sys.executable).parent / command
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return str(sibling)
    return shutil.which(command) or command


def executable(project: Project, plugin: Plugin, install: bool = True) -> str:
    """The plugin's executable; a plugin with ``pip_url`` is installed into its own venv under
    ``.bizops/venvs/<name>`` on first use (and again when its ``pip_url`` changes)."""
    if not plugin.pip_url:
        return resolve_command(plugin.command)
    venv = project.root / VENVS / plugin.name
    exe = venv / "bin" / plugin.command
    marker = venv / "bizops-pip-url"
    current = marker.read_text("utf-8") if marker.is_file() else None
    if exe.is_file() and current == plugin.pip_url:
        return str(exe)
    if not install:
        return str(exe)
    install_venv(venv, plugin.pip_url)
    if not exe.is_file():
        raise ConfigurationError(
            f"{plugin.name}: pip_url installed no executable {plugin.command!r}"
        )
    return str(exe)


def install_venv(venv: Path, pip_url: str) -> None:
    """Create ``venv`` and pip-install ``pip_url`` into it (a failure is a ConfigurationError)."""
    LOGGER.info("installing %s into %s", pip_url, venv)
    steps = (
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *pip_url.split()],
    )
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            tail = "\n  ".join(done.stderr.strip().splitlines()[-5:])
            raise ConfigurationError(f"installing {pip_url!r} failed:\n  {tail}")
    (venv / "bizops-pip-url").write_text(pip_url, "utf-8")


def about(project: Project, plugin: Plugin) -> dict[str, Any]:
    """The plugin's ``--about --format json`` (cached per executable and its mtime); ``{}`` when
    the plugin does not support it."""
    exe = executable(project, plugin)
    try:
        mtime = os.stat(exe).st_mtime_ns
    except OSError:
        return {}
    cache = project.root / ABOUT_CACHE / f"{plugin.name}.json"
    key = f"{exe}:{mtime}"
    if cache.is_file():
        cached = json.loads(cache.read_text("utf-8"))
        if cached.get("key") == key:
            return cached["about"]
    try:
        done = subprocess.run(  # noqa: S603 - the user's own plugin
            [exe, "--about", "--format", "json"], capture_output=True, text=True, check=False
        )
    except OSError:
        return {}  # it cannot run at all: starting it for the run fails with the reason
    try:
        value = json.loads(done.stdout) if done.returncode == 0 else {}
    except ValueError:
        value = {}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "about": value}), "utf-8")
    return value if isinstance(value, dict) else {}


def settings(info: dict[str, Any]) -> dict[str, Any]:
    """The settings properties a plugin declares in ``--about``."""
    props = (info.get("settings") or {}).get("properties")
    return props if isinstance(props, dict) else {}


def secret_keys(info: dict[str, Any]) -> set[str]:
    """Config keys the plugin marks secret (``secret: true`` or ``writeOnly: true``)."""
    return {
        key
        for key, prop in settings(info).items()
        if isinstance(prop, dict) and (prop.get("secret") or prop.get("writeOnly"))
    }


def supports_state_table(plugin: Plugin, info: dict[str, Any]) -> bool:
    """Whether the target commits state with its data (target-postgres' ``state_table``)."""
    props = settings(info)
    return plugin.name in FIRST_PARTY_TARGETS and "state_table" in props and "state_id" in props


def supports_end_line(info: dict[str, Any]) -> bool:
    """Whether the target tells a complete input from a cut one (``input_end_token``)."""
    return "input_end_token" in settings(info)


def list_plugins(project: Project) -> list[PluginInfo]:
    """Taps and targets installed as entry points of any distribution, plus those configured."""
    from importlib.metadata import entry_points

    found: dict[str, PluginInfo] = {}
    for point in entry_points(group="console_scripts"):
        kind = point.name.split("-", 1)[0]
        if kind in ("tap", "target"):
            exe = resolve_command(point.name)
            found[point.name] = PluginInfo(point.name, kind, "entry point", exe)
    for kind, plugins in (("tap", project.taps), ("target", project.targets)):
        for name, plugin in plugins.items():
            source = "pip" if plugin.pip_url else "command"
            exe = executable(project, plugin, install=False)
            installed = exe if os.path.isfile(exe) else None
            if name not in found or plugin.pip_url or plugin.command != name:
                found[name] = PluginInfo(name, kind, source, installed)
    return sorted(found.values(), key=lambda p: (p.kind, p.name))
