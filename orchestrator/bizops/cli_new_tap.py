"""``bizops new-tap``: scaffold a new source (tap, schema, emulator, staging stub, tests)."""

from __future__ import annotations

from pathlib import Path

import click

from bizops.cli import EXIT_CODES, handle_errors


@click.command("new-tap", epilog=EXIT_CODES)
@click.argument("name")
@click.option(
    "--dest", type=click.Path(path_type=Path), default=None,
    help="In-repo mode: the BizOps checkout (default: the current folder). With --standalone: "
    "the new project's folder, absent or empty (default: ./tap-NAME).",
)  # fmt: skip
@click.option(
    "--standalone", is_flag=True,
    help="Make a project of its own (pyproject.toml, the tap package with its schemas, tests "
    "and an emulator), to build as a wheel and install by pip_url.",
)  # fmt: skip
@handle_errors
def new_tap(name: str, dest: Path | None, standalone: bool) -> None:
    """Generate source NAME (lower-case snake_case): tap-NAME on singer-sdk and bizops_core,
    its first stream, schema, emulator (bizops-sandbox NAME), staging model and tests.

    Nothing is written when NAME is taken or invalid, or a shared file lost its marker.
    """
    from bizops.newtap import new_tap as generate
    from bizops.newtap import source_names

    if dest is None:
        dest = Path(source_names(name).tap) if standalone else Path(".")
    result = generate(name, dest, standalone)
    click.echo(f"bizops new-tap: {len(result.written)} files written under {result.root}")
    for path in result.written:
        click.echo(f"  + {path}")
    for path in result.edited:
        click.echo(f"  ~ {path}")
    click.echo("next:")
    for step in result.next_steps:
        click.echo(f"  {step}")


COMMANDS = (new_tap,)
