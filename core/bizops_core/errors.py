"""The one error taxonomy of BizOps: every error knows its kind and its process exit code."""

from __future__ import annotations


class BizOpsError(Exception):
    """Base of every error BizOps raises on purpose.

    Attributes:
        kind: one of ``config``, ``transient``, ``system``, ``data``; shown to the user.
        exit_code: the process exit code a command ends with when this error stops it.
    """

    kind = "system"
    exit_code = 1


class ConfigurationError(BizOpsError):
    """Bad settings or credentials: fixing the configuration is the only cure."""

    kind = "config"
    exit_code = 2


class RetriableError(BizOpsError):
    """A transient failure (rate limit, 5xx, dropped connection) that may succeed if retried."""

    kind = "transient"
    exit_code = 75  # EX_TEMPFAIL

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetriableError):
    """The API refused a request for its rate limit (HTTP 429 or a vendor's rate-limit code).

    Retried on its own budget of seconds (``RetryPolicy.rate_limit_max_wait``), not on the
    count of tries that 5xx answers and dropped connections share: rate-limit windows last
    from seconds to hours, and waiting them out is the cure.
    """


class FatalError(BizOpsError):
    """A failure that retrying will not fix (an API refusing a request, a job that failed)."""

    kind = "system"
    exit_code = 1


class DataError(BizOpsError):
    """Input that breaks the contract (invalid Singer line, record before its schema)."""

    kind = "data"
    exit_code = 65  # EX_DATAERR


def describe(error: BaseException) -> str:
    """One line for logs and run history: ``[kind] message``."""
    kind = error.kind if isinstance(error, BizOpsError) else "system"
    return f"[{kind}] {error}"


class TapFailed(BizOpsError):
    """The tap of a pipeline exited non-zero (the source side failed)."""

    kind = "source"
    exit_code = 3


class TargetFailed(BizOpsError):
    """The target of a pipeline exited non-zero (the loading side failed)."""

    kind = "target"
    exit_code = 4


class PipelineLocked(BizOpsError):
    """Another run of the same pipeline holds its lock."""

    kind = "locked"
    exit_code = 5


class Interrupted(BizOpsError):
    """The run was stopped by SIGTERM/SIGINT after letting the target commit."""

    kind = "interrupted"
    exit_code = 6


class TransformFailed(BizOpsError):
    """dbt ran and a model or one of its tests failed (``bizops transform``)."""

    kind = "transform"
    exit_code = 7


class ChecksFailed(BizOpsError):
    """A data-quality check failed (``bizops check``): a dbt test found rows or could not
    run, a reconciliation disagreed, or a source is stale past its error threshold.

    Attributes:
        result: what the checks found (``bizops.check.CheckResult``), for the report.
    """

    kind = "check"
    exit_code = 8

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class TapNotConformant(BizOpsError):
    """A tap failed a check of the conformance suite (``bizops test-tap``)."""

    kind = "conformance"
    exit_code = 9
