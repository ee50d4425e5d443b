"""``bizops check``: the data-quality checks of the warehouse (dbt tests, source freshness,
reconciliations), each failure with its count and a few example rows, in run history."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bizops_core.errors import ChecksFailed, describe

LOGGER = logging.getLogger("bizops.check")
PIPELINE = "check"  # its name in run history (bizops.runs)
# dbt statuses: a test fails with "fail" (rows found) or "error" (it could not run); a source
# is stale past error_after ("error") or could not be measured ("runtime error").
FAILED = frozenset({"fail", "error", "runtime error"})
EPOCH_YEAR = 1970


@dataclass(frozen=True)
class Finding:
    """One check that did not pass.

    Attributes:
        kind: ``test`` (a dbt test: keys, relationships, accepted values, reconciliations)
            or ``freshness`` (a source).
        name: the test's or the source table's name.
        status: dbt's: ``fail``/``error`` (a failure) or ``warn``.
        count: rows the test found (None when it could not run, or for freshness).
        message: dbt's message (for freshness: the newest load's age).
        examples: up to a few of the rows the test found, as column → value.
    """

    kind: str
    name: str
    status: str
    count: int | None
    message: str
    examples: tuple[Mapping[str, Any], ...] = ()

    @property
    def failed(self) -> bool:
        return self.status in FAILED


@dataclass(frozen=True)
class CheckResult:
    """What ``bizops check`` found: how many checks ran and the ones that did not pass."""

    checks: int
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    run_id: int | None = None

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.failed)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.failed)

    def summary(self) -> str:
        """``N checks: F failed, W warned`` (and the failed ones' names)."""
        line = f"{self.checks} checks: {len(self.failures)} failed, {len(self.warnings)} warned"
        if self.failures:
            names = ", ".join(f"{f.name} ({f.count if f.count is not None else f.status})"
                              for f in self.failures[:5])  # fmt: skip
            more = f" and {len(self.failures) - 5} more" if len(self.failures) > 5 else ""
            line += f": {names}{more}"
        return line


def check(project: Any, schema: str | None = None, examples: int = 3) -> CheckResult:
    """Run every dbt test of the shipped project (reconciliations and orphan CrmIds as
    errors) and the sources' freshness against ``project``'s warehouse, recorded in run
    history as the pipeline ``check``.

    Raises:
        ChecksFailed: a check failed (the result, with its findings, is on the error and in
            run history).
        ConfigurationError: the project or warehouse is unusable (as ``bizops transform``).
    """
    from bizops.store import Store
    from bizops.transform import PIPELINE as TRANSFORM
    from bizops.transform import dbt_args, dbt_setting, invoke_dbt

    url, schema, variables, work_dir = dbt_setting(project, schema)
    variables["data_quality_severity"] = "error"
    with Store(url, redact=project.redactor, project=project.project_id or "") as store:
        # never while a transform builds (half-built tables; the same dbt work folder)
        store.lock(TRANSFORM)
        run_id = store.start_run(PIPELINE, str(work_dir / "logs" / "dbt.log"))
        try:
            tests = invoke_dbt(url, work_dir, dbt_args(work_dir, "test", variables=variables),
                               schema)  # fmt: skip
            fresh = invoke_dbt(
                url, work_dir, dbt_args(work_dir, "source freshness", variables=variables), schema
            )
            test_results = _results(tests)
            fresh_results = _results(fresh)
            findings = [_test_finding(r, url, examples) for r in test_results]
            findings += [_freshness_finding(r) for r in fresh_results]
        except Exception as error:
            store.finish_run(run_id, "failed", None, project.redactor(describe(error)))
            raise
        found = tuple(sorted((f for f in findings if f is not None), key=_order))
        result = CheckResult(len(test_results) + len(fresh_results), found, run_id)
        counts = {f.name: f.count for f in result.failures if f.count is not None}
        error = result.summary() if result.failures else None
        store.finish_run(run_id, "failed" if error else "succeeded", counts, error)
    if result.failures:
        raise ChecksFailed(result.summary(), result)
    return result


def _order(finding: Finding) -> tuple[str, str]:
    return finding.kind, finding.name


def _results(outcome: Any) -> list[Any]:
    """dbt's results of the tests or sources, without the project's hooks (on-run-start)."""
    results = getattr(outcome.result, "results", None) or ()
    return [r for r in results if str(r.node.resource_type) != "operation"]


def _test_finding(result: Any, url: str, examples: int) -> Finding | None:
    status = str(result.status)
    if status == "pass":
        return None
    count = result.failures if status in ("fail", "warn") else None
    rows = _examples(url, result.node, examples) if count else ()
    message = result.message or status
    return Finding("test", result.node.name, status, count, message, rows)


def _freshness_finding(result: Any) -> Finding | None:
    status = str(result.status)
    if status == "pass":
        return None
    node = result.node
    name = f"{node.source_name}.{node.name}"
    age = getattr(result, "age", None)
    newest = getattr(result, "max_loaded_at", None)
    if status != "runtime error" and (newest is None or newest.year <= EPOCH_YEAR):
        # dbt reads an empty table's newest load as the epoch: stale by decades. A source
        # with no rows (a company without refunds) says nothing about freshness: a warning.
        return Finding("freshness", name, "warn", None, "no rows loaded: freshness unknown")
    if age is not None:
        message = f"newest load {age / 3600:.1f} hours old ({node.loaded_at_field})"
    else:
        message = result.message or "freshness could not be measured"
    return Finding("freshness", name, status, None, message)


def _examples(url: str, node: Any, limit: int) -> tuple[dict[str, Any], ...]:
    """Up to ``limit`` of the rows a failed test's query returns (its compiled SQL re-run)."""
    import psycopg2

    sql = getattr(node, "compiled_code", None)
    if not sql:
        return ()
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            # no parameters: a test's SQL may hold a literal % (LIKE patterns)
            cur.execute(f"SELECT * FROM ({sql}) AS failures LIMIT {int(limit)}")  # noqa: S608
            columns = [c.name for c in cur.description]
            return tuple(dict(zip(columns, row, strict=True)) for row in cur.fetchall())
    except psycopg2.Error as error:
        LOGGER.warning("could not read example rows of %s: %s", node.name, error)
        return ()
    finally:
        conn.close()
