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
from bizops_core.redact import mask_connection_strings

LOGGER = logging.getLogger("bizops.plugins")
VENVS = Path(".bizops") / "venvs"
ABOUT_CACHE = Path(".bizops") / "about"
FIRST_PARTY_TARGETS = {"target-postgres"}
ABOUT_TIMEOUT = 60  # seconds: a plugin's --about only prints a document
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


def needs_install(project: Project, plugin: Plugin) -> bool:
    """Whether running ``plugin`` first installs it (``pip_url`` not installed, or changed)."""
    if not plugin.pip_url:
        return False
    venv = project.root / VENVS / plugin.name
    marker = venv / "bizops-pip-url"
    current = marker.read_text("utf-8") if marker.is_file() else None
    return not ((venv / "bin" / plugin.command).is_file() and current == plugin.pip_url)


def install_venv(venv: Path, pip_url: str) -> None:
    """Create ``venv`` and pip-install ``pip_url`` into it (a failure is a ConfigurationError)."""
    shown = mask_connection_strings(pip_url)  # a private index URL may carry a token
    LOGGER.info("installing %s into %s", shown, venv)
    steps = (
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *pip_url.split()],
    )
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            tail = "\n  ".join(mask_connection_strings(done.stderr).strip().splitlines()[-5:])
            raise ConfigurationError(f"installing {shown!r} failed:\n  {tail}")
    # The marker holds pip_url as written, private index credentials included: owner-only.
    fd = os.open(venv / "bizops-pip-url", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(pip_url)


def about(project: Project, plugin: Plugin, install: bool = True) -> dict[str, Any]:
    """The plugin's ``--about --format json`` (cached per executable and its mtime); ``{}`` when
    the plugin does not support it (or, with ``install`` False, is not installed yet)."""
    exe = executable(project, plugin, install)
    try:
        mtime = os.stat(exe).st_mtime_ns
    except OSError:
        return {}
    cache = project.root / ABOUT_CACHE / f"{plugin.name}.json"
    key = f"{exe}:{mtime}"
    cached = _read_cache(cache)
    if cached.get("key") == key and isinstance(cached.get("about"), dict):
        return cached["about"]
    try:
        done = subprocess.run(  # noqa: S603 - the user's own plugin
            [exe, "--about", "--format", "json"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,  # a program that is no Singer plugin may wait for input
            timeout=ABOUT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}  # it cannot run at all: starting it for the run fails with the reason
    try:
        value = json.loads(done.stdout) if done.returncode == 0 else {}
    except ValueError:
        value = {}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "about": value}), "utf-8")
    return value if isinstance(value, dict) else {}


def _read_cache(path: Path) -> dict[str, Any]:
    """A cached ``--about`` (``{}`` when absent or unreadable: it is then asked again)."""
    try:
        cached = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return cached if isinstance(cached, dict) else {}


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


def is_first_party(plugin: Plugin, exe: str) -> bool:
    """Whether ``plugin`` runs our own target-postgres: declared by that name, or by any name
    whose ``command`` is it (``command: target-postgres``, or a path to it). Under another name,
    a ``pip_url`` plugin is someone else's, whatever its command is called."""
    if plugin.name in FIRST_PARTY_TARGETS:
        return True
    if plugin.pip_url:
        return False
    ours = [resolve_command(name) for name in FIRST_PARTY_TARGETS]
    try:
        return any(os.path.samefile(exe, path) for path in ours if os.path.exists(path))
    except OSError:
        return False


def check_settings(plugin: Plugin, info: dict[str, Any]) -> None:
    """Refuse a literal value in bizops.yml under a key the plugin marks secret; warn about
    config keys its ``--about`` does not declare (a typo is then silently ignored by most
    plugins; only a warning, as a foreign plugin's ``--about`` may be incomplete)."""
    for key in sorted(secret_keys(info) & set(plugin.literal)):
        if plugin.config.get(key) not in (None, ""):
            raise ConfigurationError(
                f"bizops.yml: {plugin.literal[key]} is a secret setting of {plugin.name}; write "
                "it as an ${ENV_VAR} reference, never as a literal value"
            )
    declared = settings(info)
    if not declared:
        return  # the plugin declares no settings: nothing to compare with
    for key in sorted(set(plugin.config) - set(declared)):
        LOGGER.warning(
            "%s: unknown setting %r (not among the settings its --about declares); ignored by "
            "the plugin, or a typo?",
            plugin.name,
            key,
        )


def supports_state_table(plugin: Plugin, info: dict[str, Any], first_party: bool = False) -> bool:
    """Whether the target commits state with its data (target-postgres' ``state_table``)."""
    props = settings(info)
    ours = first_party or plugin.name in FIRST_PARTY_TARGETS
    return ours and "state_table" in props and "state_id" in props


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
