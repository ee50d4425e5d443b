"""``bizops state …`` and ``bizops runs``: per-stream state and run history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bizops.cli import PROJECT_DIR, handle_errors, load_project


def _store(project_dir: Path, pipeline: str | None = None) -> tuple[Any, Any]:
    from bizops.project import RESERVED_NAMES
    from bizops.runner import Runner

    # state and history start no tap or target: their ${VAR}s need not be set
    project = load_project(project_dir, plugins=False)
    if pipeline is not None and pipeline not in RESERVED_NAMES:
        project.pipeline(pipeline)
    return project, Runner(project).store()


@click.group()
def state() -> None:
    """Show or change stored pipeline state, one stream at a time."""


@state.command("list")
@PROJECT_DIR
@handle_errors
def state_list(project_dir: Path) -> None:
    """Every pipeline with stored state: its streams and when it was last stored."""
    from bizops.state import bookmarks

    _, store = _store(project_dir)
    with store:
        for pipeline, value, updated in store.list_states():
            streams = ", ".join(sorted(bookmarks(value))) or "(not per stream)"
            click.echo(f"{pipeline}\t{updated.isoformat(timespec='seconds')}\t{streams}")


@state.command("show")
@PROJECT_DIR
@click.argument("pipeline")
@click.option("--stream", help="Only this stream's bookmark.")
@handle_errors
def state_show(project_dir: Path, pipeline: str, stream: str | None) -> None:
    """Print the stored state of PIPELINE as JSON (null when it has none)."""
    from bizops.state import bookmarks

    _, store = _store(project_dir, pipeline)
    with store:
        value = store.get_state(pipeline)
    if stream is not None:
        value = bookmarks(value).get(stream)
    click.echo(json.dumps(value, indent=2, sort_keys=True))


@state.command("set")
@PROJECT_DIR
@click.argument("pipeline")
@click.option("--stream", required=True, help="The stream whose bookmark to set.")
@click.option("--value", "value_json", required=True, help="Bookmark as JSON, e.g. '{\"x\": 1}'.")
@handle_errors
def state_set(project_dir: Path, pipeline: str, stream: str, value_json: str) -> None:
    """Set one stream's bookmark (a backfill); the other streams' bookmarks are untouched."""
    from bizops.ops import check_state_stream
    from bizops.state import with_stream
    from bizops_core.errors import ConfigurationError
    from bizops_core.singer_state import bookmark_problem

    try:
        value = json.loads(value_json)
    except ValueError as exc:
        raise ConfigurationError(f"--value is not JSON: {exc}") from None
    problem = bookmark_problem(value)
    if problem is not None:
        raise ConfigurationError(
            f"--value: {problem}; give the stream's whole bookmark, e.g. "
            '\'{"replication_key": "updated", "replication_key_value": "2024-01-01T00:00:00Z"}\''
        )
    project, store = _store(project_dir, pipeline)
    with store:
        store.lock(pipeline)  # never under a running pipeline's feet
        store.adopt_target_state(pipeline)  # what a killed run committed, before changing it
        current = store.get_state(pipeline)
        check_state_stream(project, pipeline, current, stream)
        store.set_state(pipeline, with_stream(current, stream, value), "set")
    click.echo(f"{pipeline}: bookmark of {stream} set")


@state.command("clear")
@PROJECT_DIR
@click.argument("pipeline")
@click.option("--stream", "streams", multiple=True, help="Only this stream (repeatable).")
@handle_errors
def state_clear(project_dir: Path, pipeline: str, streams: tuple[str, ...]) -> None:
    """Forget bookmarks: the next run starts those streams (or all) from start_date."""
    from bizops.ops import check_state_stream

    project, store = _store(project_dir, pipeline)
    with store:
        store.lock(pipeline)
        store.adopt_target_state(pipeline)
        current = store.get_state(pipeline)
        for stream in streams:
            check_state_stream(project, pipeline, current, stream)
        store.clear_state(pipeline, streams)
    click.echo(f"{pipeline}: cleared {', '.join(streams) or 'all streams'}")


@state.command("claim")
@PROJECT_DIR
@click.argument("pipeline")
@handle_errors
def state_claim(project_dir: Path, pipeline: str) -> None:
    """Take over PIPELINE's state and run history stored before bizops.yml had a project_id."""
    _, store = _store(project_dir, pipeline)
    with store:
        store.lock(pipeline)
        moved = store.claim(pipeline)
    if not moved:
        click.echo(f"{pipeline}: no state stored without a project; nothing to claim")
    else:
        click.echo(f"{pipeline}: state and run history now belong to this project")


def _counts(values: Any) -> str:
    if values is None:
        return "?"  # the target reports no counts (not the tap's: those are rows read)
    return ", ".join(f"{s}={n}" for s, n in sorted((values or {}).items())) or "-"


def _show(record: Any) -> None:
    seconds = f"{record.seconds:.1f}s" if record.seconds is not None else "-"
    for label, value in (
        ("run", record.run_id),
        ("pipeline", record.pipeline),
        ("status", record.status),
        ("trigger", record.trigger or "-"),
        ("started", record.started_at.isoformat(timespec="seconds")),
        ("ended", record.ended_at.isoformat(timespec="seconds") if record.ended_at else "-"),
        ("duration", seconds),
        ("loaded", _counts(record.stream_counts)),
        ("read", _counts(record.rows_read)),
        ("rejected", _counts(record.rows_rejected)),
        ("log", record.log_path or "-"),
        ("error", record.error or "-"),
    ):
        click.echo(f"{label:<9} {value}")


@click.command()
@PROJECT_DIR
@click.argument("args", nargs=-1, metavar="[PIPELINE] | show RUN_ID")
@click.option("--limit", default=20, show_default=True, help="How many runs to list.")
@handle_errors
def runs(project_dir: Path, args: tuple[str, ...], limit: int) -> None:
    """Run history (newest first), of one PIPELINE or all; `runs show RUN_ID` for one run."""
    from bizops_core.errors import ConfigurationError

    if args[:1] == ("show",):
        if len(args) != 2 or not args[1].isdigit():
            raise ConfigurationError("usage: bizops runs show RUN_ID")
        _, store = _store(project_dir)
        with store:
            record = store.run(int(args[1]))
        if record is None:
            raise ConfigurationError(f"no run {args[1]}")
        _show(record)
        return
    _, store = _store(project_dir, args[0] if args else None)
    with store:
        records = store.runs(args[0] if args else None, limit)
    click.echo("run\tpipeline\tstatus\tstarted\tseconds\tloaded")
    for r in records:
        seconds = f"{r.seconds:.1f}" if r.seconds is not None else "-"
        started = r.started_at.isoformat(timespec="seconds")
        row = (r.run_id, r.pipeline, r.status, started, seconds, _counts(r.stream_counts))
        click.echo("\t".join(str(v) for v in row))


COMMANDS = (state, runs)
