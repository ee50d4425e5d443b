"""The ``target-postgres`` command: parses options, runs the loader, maps errors to exit codes."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any, BinaryIO

import click
import psycopg2

import target_postgres
from bizops_core import log
from bizops_core.errors import BizOpsError, ConfigurationError, FatalError, describe
from target_postgres import CAPABILITIES, DESCRIPTION, DISTRIBUTION, NAME
from target_postgres.config import config_schema, load_config

LOGGER = logging.getLogger("target_postgres")
_READ_BUFFER = 1 << 20  # fewer read calls than the default 8 KiB
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def about() -> dict[str, Any]:
    """Name, version, capabilities and settings schema, as ``--about`` shows them."""
    return {
        "name": NAME,
        "version": target_postgres.__version__,
        "capabilities": list(CAPABILITIES),
        "settings": config_schema(),
    }


def _about_text(info: dict[str, Any]) -> str:
    lines = [f"Name: {info['name']}", f"Version: {info['version']}"]
    lines.append(f"Capabilities: {', '.join(info['capabilities'])}")
    lines.append("Settings:")
    for name, prop in info["settings"]["properties"].items():
        default = f" (default {json.dumps(prop['default'])})" if "default" in prop else ""
        lines.append(f"  {name}: {prop['type']}{default} - {prop['description']}")
    return "\n".join(lines) + "\n"


def _about_markdown(info: dict[str, Any]) -> str:
    """``--about --format markdown``: the shape the singer-sdk taps print (heading,
    description, capabilities, settings table), for READMEs and hub pages."""
    settings = info["settings"]
    required = set(settings.get("required", ()))
    lines = [f"# `{info['name']}`", "", DESCRIPTION, "", "## Capabilities", ""]
    lines += [f"- `{capability}`" for capability in info["capabilities"]]
    lines += ["", "## Settings", "", "| Setting | Required | Default | Description |"]
    lines.append("|:--------|:--------:|:-------:|:------------|")
    for name, prop in settings["properties"].items():
        default = prop.get("default")
        shown = "None" if default is None else _markdown_cell(_default_text(default))
        description = prop["description"] + ("; secret" if prop.get("secret") else "")
        row = [name, str(name in required), shown, _markdown_cell(description)]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "Give either `database_url` or `host` (and `port`, `user`, `password`, `dbname`).",
    ]
    lines += ["", f"The settings schema as JSON: `{info['name']} --about --format json`", ""]
    return "\n".join(lines)


def _default_text(default: Any) -> str:
    return default if isinstance(default, str) else json.dumps(default)


def _markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br/>")


_ABOUT_FORMATS = {
    "text": _about_text,
    "json": lambda info: json.dumps(info, indent=2) + "\n",
    "markdown": _about_markdown,
}


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),  # an unreadable file is reported by load_config
    envvar="TARGET_POSTGRES_CONFIG",
    help="JSON config file.",
)
@click.option(
    "--input",
    "input_path",
    type=click.Path(path_type=Path),  # an unreadable file is reported as the config is
    envvar="TARGET_POSTGRES_INPUT",
    help="Read Singer messages from this file instead of stdin.",
)
@click.option("--about", "show_about", is_flag=True, help="Describe the target and exit.")
@click.option(
    "--format",
    "about_format",
    type=click.Choice(list(_ABOUT_FORMATS)),
    default="text",
    envvar="TARGET_POSTGRES_ABOUT_FORMAT",
    help="Format of --about.",
)
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default="INFO",
    envvar="TARGET_POSTGRES_LOG_LEVEL",
    help="Logging level.",
)
@click.version_option(package_name=DISTRIBUTION, prog_name=NAME)
def main(
    config_path: Path | None,
    input_path: Path | None,
    show_about: bool,
    about_format: str,
    log_level: str,
) -> None:
    """Load Singer messages into PostgreSQL; state lines go to stdout."""
    log.setup(log_level.upper())
    if show_about:
        sys.stdout.write(_ABOUT_FORMATS[about_format](about()))
        return
    try:
        _run(config_path, input_path)
    except BizOpsError as exc:
        LOGGER.error("%s", describe(exc))
        sys.exit(exc.exit_code)


def _run(config_path: Path | None, input_path: Path | None) -> None:
    if config_path is None:
        raise ConfigurationError("--config: a config file is required")
    config = load_config(config_path)
    with _open_input(input_path) as source:  # before connecting: a bad path fails at once
        from target_postgres.connect import SWITCH_INTERVAL, Connecting

        sys.setswitchinterval(SWITCH_INTERVAL)  # the connecting thread gets its turns promptly
        connecting = Connecting(config)
        from target_postgres.runner import load  # imported (~30 ms) while the connection opens

        try:
            load(config, source, sys.stdout, connecting)
        except psycopg2.Error as exc:
            raise FatalError(f"PostgreSQL error: {str(exc).strip()}") from exc
        except BrokenPipeError as exc:  # (click would end with exit 1 and no word)
            raise FatalError(
                "stdout was closed by its reader: a state line could not be written "
                "(the records before it are committed)"
            ) from exc


def _open_input(path: Path | None) -> BinaryIO:
    """The input: the ``--input`` file, else stdin (left open when done)."""
    if path is None:
        return open(sys.stdin.fileno(), "rb", buffering=_READ_BUFFER, closefd=False)
    try:
        return path.open("rb", buffering=_READ_BUFFER)
    except OSError as exc:
        raise ConfigurationError(f"--input: cannot read {path}: {exc.strerror}") from exc


def console() -> None:
    """The console script: :func:`main`, then a prompt exit (see ``run_and_exit``)."""
    from bizops_core.console import run_and_exit

    run_and_exit(main)
