"""The ``bizops-sandbox`` command: run an emulator of a source API in the foreground."""

from __future__ import annotations

import importlib
import logging
import pkgutil
import threading
from collections.abc import Callable
from typing import Any

import click

from bizops_sandbox.server import serve
from bizops_sandbox.world import SIZES, World

log = logging.getLogger(__name__)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
LOG_LEVELS = click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False)


class _Emulators(click.Group):
    """The declared commands, plus one per emulator module found by name: a module
    ``bizops_sandbox.<name>`` with a world hook ``bizops_sandbox.world_<name>`` next to it and a
    ``create_app(world)`` (what ``bizops new-tap`` generates). Found modules are imported only
    when their command runs, so ``--help`` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_found_emulators()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _found_emulators():
            command = _found_command(cmd_name)
        return command


def _found_emulators() -> set[str]:
    """Names of the emulator modules of this package that have a world hook module."""
    import bizops_sandbox

    modules = {info.name for info in pkgutil.iter_modules(bizops_sandbox.__path__)}
    return {name for name in modules if f"world_{name}" in modules}


def _found_command(name: str) -> click.Command:
    @_emulator_options
    def command(host: str, port: int, seed: int, size: str) -> None:
        module = importlib.import_module(f"bizops_sandbox.{name}")
        world = World.generate(seed=seed, size=size)
        describe = f"{name} emulator (seed {seed}, {size} world)"
        _serve_until_interrupted(module.create_app(world), host, port, describe)

    help_text = f"Serve the {name} emulator until interrupted; print its URL as one line on stdout."
    return click.command(name=name, help=help_text)(command)


@click.group(cls=_Emulators)
@click.option(
    "--log-level", default="INFO", type=LOG_LEVELS, envvar="BIZOPS_LOG_LEVEL",
    show_default=True, help="Level of the log messages written to stderr.",
)  # fmt: skip
def main(log_level: str) -> None:
    """Run HTTP emulators of source APIs over a seeded fake company."""
    logging.basicConfig(level=log_level.upper(), format=LOG_FORMAT)


def _emulator_options(command: Callable[..., None]) -> Callable[..., None]:
    """The options every emulator command takes: where to listen and which world to serve."""
    options = [
        click.option(
            "--host", default="127.0.0.1", envvar="BIZOPS_SANDBOX_HOST", show_default=True,
            help="Interface to listen on.",
        ),
        click.option(
            "--port", default=0, type=int, envvar="BIZOPS_SANDBOX_PORT", show_default=True,
            help="TCP port; 0 picks a free one.",
        ),
        click.option(
            "--seed", default=42, type=int, envvar="BIZOPS_SANDBOX_SEED", show_default=True,
            help="Seed of the generated world.",
        ),
        click.option(
            "--size", default="small", type=click.Choice(sorted(SIZES)),
            envvar="BIZOPS_SANDBOX_SIZE", show_default=True, help="Size of the generated world.",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def _serve_until_interrupted(app: Any, host: str, port: int, describe: str) -> None:
    """Serve ``app``, print its URL as one line on stdout, and stop on Ctrl-C."""
    server = serve(app, host=host, port=port)
    click.echo(server.url)
    log.info("%s listening at %s", describe, server.url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        server.stop()


@main.command()
@_emulator_options
def zuora(host: str, port: int, seed: int, size: str) -> None:
    """Serve the Zuora emulator until interrupted; print its URL as one line on stdout."""
    from bizops_sandbox.zuora import create_app

    world = World.generate(seed=seed, size=size)
    _serve_until_interrupted(
        create_app(world), host, port, f"zuora emulator (seed {seed}, {size} world)"
    )


@main.command()
@_emulator_options
@click.option(
    "--job-steps",
    default=2,
    type=int,
    show_default=True,
    help="Polls of a Bulk job that answer InProgress before JobComplete.",
)
def salesforce(host: str, port: int, seed: int, size: str, job_steps: int) -> None:
    """Serve the Salesforce emulator (login host and instance) until interrupted; print its URL."""
    from bizops_sandbox.salesforce import create_app

    world = World.generate(seed=seed, size=size)
    records = world.count("salesforce")
    describe = f"salesforce emulator (seed {seed}, {size} world, {records} records)"
    _serve_until_interrupted(create_app(world, job_steps=job_steps), host, port, describe)
