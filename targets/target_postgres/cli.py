"""The ``target-postgres`` command: parses options, runs the loader, maps errors to exit codes."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click
import psycopg2

import target_postgres
from bizops_core import log
from bizops_core.errors import BizOpsError, ConfigurationError, FatalError, describe
from target_postgres import CAPABILITIES, DISTRIBUTION, NAME
from target_postgres.config import config_schema, load_config

LOGGER = logging.getLogger("target_postgres")
_READ_BUFFER = 1 << 20  # fewer read calls than the default 8 KiB


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


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="TARGET_POSTGRES_CONFIG",
    help="JSON config file.",
)
@click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    envvar="TARGET_POSTGRES_INPUT",
    help="Read Singer messages from this file instead of stdin.",
)
@click.option("--about", "show_about", is_flag=True, help="Describe the target and exit.")
@click.option(
    "--format",
    "about_format",
    type=click.Choice(["text", "json"]),
    default="text",
    envvar="TARGET_POSTGRES_ABOUT_FORMAT",
    help="Format of --about.",
)
@click.option(
    "--log-level", default="INFO", envvar="TARGET_POSTGRES_LOG_LEVEL", help="Logging level."
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
        info = about()
        text = json.dumps(info, indent=2) + "\n" if about_format == "json" else _about_text(info)
        sys.stdout.write(text)
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
    from target_postgres.connect import SWITCH_INTERVAL, Connecting

    sys.setswitchinterval(SWITCH_INTERVAL)  # the connecting thread gets its turns promptly
    connecting = Connecting(config)
    from target_postgres.runner import load  # imported (~30 ms) while the connection opens

    try:
        if input_path is None:
            with open(sys.stdin.fileno(), "rb", buffering=_READ_BUFFER, closefd=False) as source:
                load(config, source, sys.stdout, connecting)
        else:
            with input_path.open("rb", buffering=_READ_BUFFER) as source:
                load(config, source, sys.stdout, connecting)
    except psycopg2.Error as exc:
        raise FatalError(f"PostgreSQL error: {str(exc).strip()}") from exc


def console() -> None:
    """The console script: :func:`main`, then a prompt exit (see ``run_and_exit``)."""
    from bizops_core.console import run_and_exit

    run_and_exit(main)
