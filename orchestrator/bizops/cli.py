"""The ``bizops`` command line: the group, shared options and error handling (commands live in
``cli_*`` modules; library imports are lazy so ``bizops --help`` starts fast)."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
LOGGER = logging.getLogger("bizops.cli")
_REDACTORS: list[Any] = []  # the secret values of the projects a command loaded

PROJECT_DIR = click.option(
    "--project-dir",
    "-p",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    envvar="BIZOPS_PROJECT_DIR",
    help="Folder holding bizops.yml (env: BIZOPS_PROJECT_DIR).",
)

EXIT_CODES = """
Exit codes: 0 success, 1 unexpected error, 2 configuration error, 3 the tap failed,
4 the target failed, 5 the pipeline is already running, 6 interrupted,
7 a transform model or test failed, 8 a data-quality check failed,
9 a tap failed the conformance suite (test-tap).
"""


def redact(text: str) -> str:
    """``text`` with every secret of the loaded projects and every connection password masked."""
    from bizops_core.redact import mask_connection_strings

    for redactor in _REDACTORS:
        text = redactor(text)
    return mask_connection_strings(text)


def fail(error: BaseException) -> None:
    """Report ``error`` on stderr and exit with its code."""
    from bizops_core.errors import BizOpsError, describe

    code = error.exit_code if isinstance(error, BizOpsError) else 1
    click.echo(f"bizops: {redact(describe(error))}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn an error raised by a command into one line and an exit code: a BizOpsError's own,
    1 for anything unexpected (its traceback only in the DEBUG log), never a secret."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from bizops_core.errors import BizOpsError

        try:
            return func(*args, **kwargs)
        except BizOpsError as error:
            fail(error)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise
        except BrokenPipeError:
            # the reader went away (`bizops runs | head`): stop quietly, as a shell tool does on
            # SIGPIPE; stdout is pointed at /dev/null so the exit flush cannot fail again
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(141)
        except Exception as error:  # noqa: BLE001 - the CLI's boundary: one line, no traceback
            import traceback

            trace = "".join(traceback.format_exception(error))
            LOGGER.debug("unexpected error:\n%s", redact(trace))  # masked like the line below
            text = " ".join(str(error).split())
            click.echo(
                f"bizops: [system] unexpected {type(error).__name__}: {redact(text)}", err=True
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def load_project(project_dir: Path, plugins: bool = True) -> Any:
    """The Project in ``project_dir`` (ConfigurationError if missing or invalid);
    ``plugins=False`` for commands that start no tap or target (see project.parse)."""
    from bizops.project import load

    project = load(project_dir, plugins=plugins)
    _REDACTORS.append(project.redactor)
    return project


@click.group(help="Run Singer tap|target pipelines with state, locks, run history and schedules.")
@click.version_option(package_name="bizops")
@click.option(
    "--log-level", default="WARNING", show_default=True, envvar="BIZOPS_LOG_LEVEL",
    help="Level of bizops' own log on stderr (env: BIZOPS_LOG_LEVEL).",
)  # fmt: skip
def main(log_level: str) -> None:
    from bizops_core import log

    log.setup(log_level.upper())


def _register() -> None:
    from bizops import (
        cli_check,
        cli_dashboards,
        cli_display,
        cli_metrics,
        cli_new_tap,
        cli_project,
        cli_run,
        cli_state,
        cli_test_tap,
        cli_transform,
        cli_warehouse,
    )

    modules = (
        cli_run,
        cli_state,
        cli_project,
        cli_warehouse,
        cli_transform,
        cli_metrics,
        cli_check,
        cli_test_tap,
        cli_display,
        cli_dashboards,
        cli_new_tap,
    )
    for module in modules:
        for command in module.COMMANDS:
            main.add_command(command)


_register()


def console() -> None:
    """The console script: :func:`main`, then a prompt exit (see ``run_and_exit``)."""
    from bizops_core.console import run_and_exit

    run_and_exit(main)
