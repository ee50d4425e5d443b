"""The click command of every BizOps tap: the SDK's, with BizOps errors ending the process."""

from __future__ import annotations

import logging
import sys
from typing import Any, NoReturn

import click
from singer_sdk.plugin_base import SingerCommand

from bizops_core.errors import BizOpsError, describe
from bizops_core.state_file import StateFile


class BizOpsSingerCommand(SingerCommand):
    """A SingerCommand that turns a BizOpsError into one stderr line and the error's exit code.

    The SDK lets any exception escape click, which prints a traceback and exits 1 whatever the
    error; the orchestrator instead needs the taxonomy's exit code (2 config, 75 transient, ...).
    Errors raised while click parses options (``--discover`` runs there) are covered too,
    because ``main`` wraps parsing and invocation alike.
    """

    @classmethod
    def from_command(cls, command: click.Command, logger: logging.Logger) -> BizOpsSingerCommand:
        """The same command (name, options, callback, help) with this error handling, and a
        ``--state`` that also takes a target's output of state lines (see :class:`StateFile`)."""
        for param in command.params:
            if param.name == "state":
                param.type = StateFile()
        return cls(
            name=command.name,
            callback=command.callback,
            params=command.params,
            help=command.help,
            context_settings=command.context_settings,
            logger=logger,
        )

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command; a BizOpsError ends it with ``[kind] message`` and its exit code."""
        try:
            return super().main(*args, **kwargs)
        except BizOpsError as error:
            self._fail(error)

    def _fail(self, error: BizOpsError) -> NoReturn:
        self.logger.error("%s", describe(error))
        sys.exit(error.exit_code)
