"""``bizops transform``: runs the shipped dbt project in-process against the project's warehouse."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bizops.transform_skip import as_state, fingerprint, marts_exist, of_state
from bizops_core.errors import ConfigurationError, TransformFailed, describe

LOGGER = logging.getLogger("bizops.transform")
PIPELINE = "transform"  # its name in run history (bizops.runs)
WORK_DIR = Path(".bizops") / "transform"  # profile, dbt's target/ and logs/, under the project
# dbt scrubs the values of DBT_ENV_SECRET_* variables from its logs and never writes them to
# its artifacts: the password reaches dbt only through one.
PASSWORD_ENV = "DBT_ENV_SECRET_BIZOPS_PASSWORD"  # noqa: S105 - a variable name, not a secret
# Which raw schema each source's staging reads: the target schema of the pipeline of its tap.
SOURCE_TAPS = {"zuora_schema": "tap-zuora", "salesforce_schema": "tap-salesforce"}
# libpq keywords of a warehouse URL → dbt-postgres profile fields.
PROFILE_FIELDS = {
    "host": "host",
    "port": "port",
    "user": "user",
    "dbname": "dbname",
    "sslmode": "sslmode",
    "sslcert": "sslcert",
    "sslkey": "sslkey",
    "sslrootcert": "sslrootcert",
    "connect_timeout": "connect_timeout",
    "application_name": "application_name",
}


@dataclass(frozen=True)
class NodeResult:
    """One dbt node of a run: model, test, unit test or seed."""

    name: str
    resource_type: str
    status: str  # dbt's: success, error, skipped, pass, fail, warn
    message: str | None
    rows: int | None = None  # rows a table model wrote (None for views and tests)


@dataclass(frozen=True)
class TransformResult:
    """What ``bizops transform`` did: dbt's per-node results and the run-history id."""

    success: bool
    nodes: tuple[NodeResult, ...] = field(default_factory=tuple)
    run_id: int | None = None
    skipped: bool = False  # nothing changed since the last successful build

    @property
    def failed(self) -> tuple[NodeResult, ...]:
        """The nodes that errored or failed."""
        return tuple(n for n in self.nodes if n.status in ("error", "fail", "runtime error"))

    def summary(self) -> str:
        """``N models and M tests passed`` (the line ``bizops transform`` ends with)."""
        if self.skipped:
            return "sources and project unchanged since the last build; nothing to do"
        models = sum(1 for n in self.nodes if n.resource_type == "model")
        return f"{models} models and {len(self.nodes) - models} tests passed"


def dbt_project_dir() -> Path:
    """The dbt project shipped in the package ``bizops_transform`` (a plain folder also in a
    wheel install: dbt reads it from disk)."""
    return Path(str(resources.files("bizops_transform")))


def profile(database_url: str, schema: str = "public", threads: int = 2) -> dict[str, Any]:
    """A dbt ``profiles.yml`` content for ``database_url``; its password is read from
    :data:`PASSWORD_ENV` (see :func:`password`), never written.

    Raises:
        ConfigurationError: the URL holds a connection option dbt-postgres cannot take (it
            would otherwise connect differently than bizops does).
    """
    import psycopg2.extensions

    params = psycopg2.extensions.parse_dsn(database_url)
    params.pop("password", None)
    unknown = sorted(set(params) - set(PROFILE_FIELDS))
    if unknown:
        raise ConfigurationError(
            f"the warehouse URL has options dbt cannot use: {', '.join(unknown)}"
        )
    output: dict[str, Any] = {"type": "postgres", "schema": schema, "threads": threads}
    output.update({PROFILE_FIELDS[key]: value for key, value in params.items()})
    output.setdefault("host", "localhost")  # libpq's default (a socket) is not dbt's
    output["port"] = int(output.get("port", 5432))
    output.setdefault("user", os.environ.get("PGUSER") or _login())
    output.setdefault("dbname", output["user"])
    output["password"] = "{{ env_var('" + PASSWORD_ENV + "', '') }}"
    return {"bizops": {"target": "warehouse", "outputs": {"warehouse": output}}}


def _login() -> str:
    import getpass

    return getpass.getuser()


def password(database_url: str) -> str:
    """The password of ``database_url`` ('' without one)."""
    import psycopg2.extensions

    return psycopg2.extensions.parse_dsn(database_url).get("password", "")


def source_schemas(project: Any) -> dict[str, str]:
    """dbt vars naming each source's raw schema: the ``default_target_schema`` of the (first,
    by name) pipeline whose tap is that source's; sources without such a pipeline keep the
    dbt project's defaults. Any other tap ``tap-<source>`` names ``<source>_schema`` (dashes
    as underscores): the var the staging of a source made by ``bizops new-tap`` reads, and
    without which it is not built."""
    found: dict[str, str] = {}
    for name in sorted(project.pipelines):
        pipeline = project.pipelines[name]
        schema = pipeline.target.config.get("default_target_schema")
        if not schema:
            continue
        var = next((v for v, tap in SOURCE_TAPS.items() if tap == pipeline.tap.name), None)
        if var is None and pipeline.tap.name.startswith("tap-"):
            var = pipeline.tap.name[len("tap-") :].replace("-", "_") + "_schema"
        if var is not None and var not in found:
            found[var] = str(schema)
    return found


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def dbt_args(
    work_dir: Path,
    command: str = "build",
    select: tuple[str, ...] = (),
    full_refresh: bool = False,
    variables: Mapping[str, Any] | None = None,
) -> list[str]:
    """The dbt command line (without the leading ``dbt``) for a run in ``work_dir``;
    ``command`` may be two words (``source freshness``)."""
    args = [
        *command.split(),
        "--project-dir", str(dbt_project_dir()),
        "--profiles-dir", str(work_dir),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        # No network: no usage statistics, no version check against the hub.
        "--no-send-anonymous-usage-stats",
        "--no-version-check",
        "--no-use-colors",
    ]  # fmt: skip
    if variables:
        args += ["--vars", json.dumps(dict(variables))]
    if select:
        # a test runs only when every model it reads is selected: a relationships test from a
        # selected model to one left out would fail on a missing or stale table
        args += ["--select", *select, "--indirect-selection", "cautious"]
    if full_refresh:
        args.append("--full-refresh")
    return args


def run_dbt(
    database_url: str,
    work_dir: Path,
    command: str = "build",
    select: tuple[str, ...] = (),
    full_refresh: bool = False,
    variables: Mapping[str, Any] | None = None,
    schema: str = "public",
) -> TransformResult:
    """Run one dbt command in-process (``dbtRunner``) against ``database_url``, dbt's output
    on stderr (stdout stays free), its files under ``work_dir``.

    Raises:
        ConfigurationError: the project or the profile is invalid, or the warehouse is
            unreachable (dbt failed before running a node).
    """
    work_dir = Path(work_dir).resolve()
    args = dbt_args(work_dir, command, select, full_refresh, variables)
    outcome = invoke_dbt(database_url, work_dir, args, schema)
    results = getattr(outcome.result, "results", None) or ()
    # the project's hooks (on-run-start) are neither models nor tests
    nodes = tuple(_node(r) for r in results if str(r.node.resource_type) != "operation")
    return TransformResult(success=bool(outcome.success), nodes=nodes)


def invoke_dbt(database_url: str, work_dir: Path, args: list[str], schema: str = "public") -> Any:
    """Run dbt with ``args`` (from :func:`dbt_args`) in-process against ``database_url`` with a
    profile written to ``work_dir``; dbt's output on stderr. Returns dbt's result object.

    Raises:
        ConfigurationError: as :func:`run_dbt`.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(profile(database_url, schema), sort_keys=False)
    (work_dir / "profiles.yml").write_text(text, encoding="utf-8")
    from dbt.cli.main import dbtRunner

    LOGGER.info("dbt %s", " ".join(args))
    with _environment(PASSWORD_ENV, password(database_url)), contextlib.redirect_stdout(sys.stderr):
        outcome = dbtRunner().invoke(args)
    _release_dbt()
    if outcome.exception is not None:
        from bizops.warehouse import one_line

        command = " ".join(args[: args.index("--project-dir")])
        raise ConfigurationError(
            f"dbt {command} failed to start: {one_line(str(outcome.exception))}"
        )
    return outcome


def _release_dbt() -> None:
    """Drop dbt's adapters and unreferenced manifests: their multiprocessing locks are
    semaphores, and a process that exits at once (console.run_and_exit) with them alive gets
    a "leaked semaphore objects" warning from the resource tracker on stderr."""
    import gc

    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    gc.collect()


def _node(result: Any) -> NodeResult:
    node = result.node
    rows = (result.adapter_response or {}).get("rows_affected")
    rows = rows if isinstance(rows, int) and rows >= 0 else None
    return NodeResult(node.name, str(node.resource_type), str(result.status), result.message, rows)


def dbt_setting(project: Any, schema: str | None) -> tuple[str, str, dict[str, Any], Path]:
    """What a dbt command of ``project`` runs with: the warehouse URL, the transform schema
    (``schema``, else bizops.yml's, else public), the vars (the source schemas found from the
    pipelines, overridden by bizops.yml's own vars) and the work folder."""
    from bizops.warehouse import resolve_database_url

    url = resolve_database_url(project.root, project.database_url)
    schema = schema or project.transform_schema or "public"
    variables = {**source_schemas(project), **project.transform_vars}
    return url, schema, variables, (Path(project.root) / WORK_DIR).resolve()


def transform(
    project: Any,
    select: tuple[str, ...] = (),
    full_refresh: bool = False,
    schema: str | None = None,
) -> TransformResult:
    """``dbt build`` of the shipped project against ``project``'s warehouse (models, then their
    tests), recorded in run history as the pipeline ``transform``.

    Raises:
        TransformFailed: a model or a test failed (the result is in run history).
        ConfigurationError: as :func:`run_dbt`.
    """
    from bizops.store import Store

    url, schema, variables, work_dir = dbt_setting(project, schema)
    with Store(url, redact=project.redactor, project=project.project_id or "") as store:
        store.lock(PIPELINE)  # one transform at a time (cron and a user's, two machines)
        # only a whole build can be skipped, and only it leaves a fingerprint; taken before
        # dbt runs, so a load during the build makes the next one run again
        built = None if select else fingerprint(store.conn, variables, schema, dbt_project_dir())
        unchanged = built is not None and built == of_state(store.get_state(PIPELINE))
        run_id = store.start_run(PIPELINE, str(work_dir / "logs" / "dbt.log"))
        if unchanged and not full_refresh and marts_exist(store.conn, schema):
            store.finish_run(run_id, "succeeded", {}, None)
            LOGGER.info("sources and project unchanged since the last build: skipped")
            return TransformResult(True, (), run_id, skipped=True)
        try:
            result = run_dbt(url, work_dir, "build", select, full_refresh, variables, schema)
        except Exception as error:
            # recorded in run history, then raised on unchanged
            store.finish_run(run_id, "failed", None, project.redactor(describe(error)))
            raise
        counts = {
            n.name: n.rows
            for n in result.nodes
            if n.rows is not None and n.resource_type == "model"
        }
        error = _summary(result) if not result.success else None
        store.finish_run(run_id, "succeeded" if result.success else "failed", counts, error)
        if result.success and built is not None:
            store.set_state(PIPELINE, as_state(built), source="transform")
    result = TransformResult(result.success, result.nodes, run_id)
    if not result.success:
        raise TransformFailed(error or "dbt reported a failure")
    return result


def _summary(result: TransformResult) -> str:
    failed = result.failed
    if not failed:
        return "dbt reported a failure"
    names = ", ".join(f"{n.name} ({n.status})" for n in failed[:5])
    more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
    return f"{len(failed)} dbt node(s) failed: {names}{more}"
