"""The checks of the conformance suite, each driving the tap through its command line.

A check passes, fails (with the first problem it found) or is skipped (with why: e.g. no
stream replicates incrementally). Checks share one discovery and one full sync, so the suite
costs about five syncs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bizops_core.conformance.checks_behaviour import (
    bad_config_fails_cleanly,
    deselected_field,
    deselected_stream,
    full_table_ignores_bookmark,
    incremental_from_state,
    secret_values,
    secrets_hidden,
)
from bizops_core.conformance.checks_emulator import (
    faults_survived,
    incremental_after_change,
    resume_after_stop,
)
from bizops_core.conformance.checks_output import (
    about_json,
    about_markdown,
    discover_catalog,
    final_state,
    keys_present,
    records_valid,
    schema_before_record,
    stdout_only_singer,
    sync_completes,
)
from bizops_core.conformance.checks_token import expired_token_survived
from bizops_core.conformance.context import Context, Failed, Skipped
from bizops_core.conformance.process import TapProcess


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "pass", "fail" or "skip"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"


@dataclass(frozen=True)
class Check:
    name: str
    proves: str
    run: Callable[[Context], str]


CHECKS: tuple[Check, ...] = (
    Check("about-json", "--about --format json gives name, capabilities and settings", about_json),
    Check("about-markdown", "--about --format markdown is a document with a heading",
          about_markdown),
    Check("discover", "a catalog whose every property has metadata; keys and replication "
          "keys are automatic", discover_catalog),
    Check("sync", "a sync of every stream exits 0 and emits records", sync_completes),
    Check("stdout-singer", "stdout holds only Singer messages", stdout_only_singer),
    Check("schema-first", "each stream's SCHEMA comes before its RECORDs", schema_before_record),
    Check("records-valid", "records are valid against their schema, date and date-time "
          "formats included", records_valid),
    Check("keys-present", "key properties are present and non-null", keys_present),
    Check("state", "the last STATE is a usable state", final_state),
    Check("deselected-stream", "a deselected stream is not emitted", deselected_stream),
    Check("deselected-field", "a deselected field is in neither SCHEMA nor RECORD",
          deselected_field),
    Check("full-table", "FULL_TABLE in the catalog ignores the stream's bookmark",
          full_table_ignores_bookmark),
    Check("incremental", "a run from the last state emits no record older than its bookmark",
          incremental_from_state),
    Check("bad-config", "an empty config fails with an exit code, no traceback, nothing on "
          "stdout", bad_config_fails_cleanly),
    Check("resume", "stopped at three points and resumed from its last STATE, no record is "
          "lost", resume_after_stop),
    Check("faults", "429 with Retry-After, 503s, a dropped connection and a cut-off body "
          "lose no record (needs --emulator)", faults_survived),
    Check("expired-token", "the access token expired midway through a sync: the tap "
          "authenticates again and loses no record (needs --emulator)", expired_token_survived),
    Check("incremental-change", "after the emulator changes its world, a run from the last "
          "state emits every changed record and no unchanged one (needs --emulator)",
          incremental_after_change),
    Check("secrets", "no secret of the config on stdout or stderr of any call", secrets_hidden),
)  # fmt: skip


def run_suite(
    tap: TapProcess, only: set[str] | None = None, emulator: str | None = None
) -> list[CheckResult]:
    """Run the checks (or those named in ``only``) on ``tap``, in order; never raises for a
    failing tap. ``emulator``: the base URL of an emulator of the tap's API (see
    :mod:`~bizops_core.conformance.checks_emulator`); the check that changes its world runs
    after every other that syncs. The secrets check runs last: it reads every call's output."""
    ctx = Context(tap, emulator)
    results = []
    for check in CHECKS:
        if only is not None and check.name not in only:
            continue
        try:
            results.append(CheckResult(check.name, "pass", check.run(ctx)))
        except Failed as problem:
            results.append(CheckResult(check.name, "fail", str(problem)))
        except Skipped as why:
            results.append(CheckResult(check.name, "skip", str(why)))
        except ValueError as exc:  # output that is not JSON: the first bad line
            results.append(CheckResult(check.name, "fail", str(exc)))
    # a detail quotes the tap's own output, which may hold a leaked secret: never repeat it
    secrets = secret_values(ctx, about=False) + _secrets_or_none(ctx)
    return [CheckResult(r.name, r.status, _masked(r.detail, secrets)) for r in results]


def _secrets_or_none(ctx: Context) -> list[str]:
    try:
        return secret_values(ctx)
    except (Failed, ValueError):
        return []


def _masked(text: str, secrets: list[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text
