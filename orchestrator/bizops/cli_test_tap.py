"""``bizops test-tap``: the conformance suite on any Singer tap, by its command."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bizops.cli import EXIT_CODES, handle_errors


@click.command("test-tap", epilog=EXIT_CODES)
@click.option(
    "--command", "command", required=True,
    help="The tap's command line, e.g. tap-foo or 'python -m tap_foo'.",
)  # fmt: skip
@click.option(
    "--config", "config_path", required=True,
    type=click.Path(dir_okay=False, path_type=Path), help="The tap's config (JSON).",
)  # fmt: skip
@click.option("--check", "only", multiple=True, help="Run only this check (repeatable).")
@click.option(
    "--emulator", default=None,
    help="Base URL of an emulator of the tap's API with the sandbox's admin routes (faults, "
    "mutate); the tap's config must point at it.",
)  # fmt: skip
@click.option(
    "--timeout", default=300.0, show_default=True, help="Seconds each call of the tap may take."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table",
    show_default=True, help="Output on stdout.",
)  # fmt: skip
@handle_errors
def test_tap(
    command: str,
    config_path: Path,
    only: tuple[str, ...],
    emulator: str | None,
    timeout: float,
    fmt: str,
) -> None:
    """Run the tap conformance suite on a Singer tap and print each check's result.

    The tap is driven through its command line only (--about, --discover, --config,
    --catalog, --state), so any tap can be tested, ours or anyone's. Exit 9 when a check fails.
    """
    from bizops_core.conformance import CHECKS, TapProcess, run_suite
    from bizops_core.errors import ConfigurationError, TapNotConformant

    names = {check.name for check in CHECKS}
    unknown = sorted(set(only) - names)
    if unknown:
        raise ConfigurationError(
            f"no check named {', '.join(unknown)}; the checks: {', '.join(sorted(names))}"
        )
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read the config {config_path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigurationError(f"the config {config_path} is not JSON: {exc}") from None
    if not isinstance(config, dict):
        raise ConfigurationError(f"the config {config_path} must be a JSON object")
    tap = TapProcess(command, config, timeout=timeout)
    try:
        results = run_suite(tap, set(only) or None, emulator)
    finally:
        tap.close()
    if fmt == "json":
        click.echo(json.dumps([r.__dict__ for r in results], indent=2))
    else:
        width = max(len(r.name) for r in results)
        for result in results:
            click.echo(f"{result.status.upper():4}  {result.name:<{width}}  {result.detail}")
    failed = [r.name for r in results if not r.ok]
    if failed:
        listed = ", ".join(failed)
        raise TapNotConformant(f"{len(failed)} of {len(results)} checks failed: {listed}")


COMMANDS = (test_tap,)
