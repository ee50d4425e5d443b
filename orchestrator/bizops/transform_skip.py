"""When `bizops transform` has nothing to do: the sources and the project are as they were at
the last successful build.

A build's fingerprint covers every raw table of the source schemas (row count and latest
``_sdc_batched_at``, which target-postgres sets on every row it writes), the dbt project's
files, the vars (with the metrics' clock: ``metrics_as_of``, else today's UTC date) and the
target schema. It is kept as the stored state of ``transform`` (``bizops state clear
transform`` forces the next build). A source table without ``_sdc_batched_at`` (loaded by
another tool, or with metadata columns off) cannot be fingerprinted: then every build runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BATCHED_AT = "_sdc_batched_at"


def project_digest(folder: Path) -> str:
    """A digest of the dbt project's files (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".sql", ".yml", ".csv")):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fingerprint(conn: Any, variables: Mapping[str, Any], schema: str, dbt_dir: Path) -> str | None:
    """The fingerprint of a build now, or None when a source table cannot be fingerprinted."""
    from psycopg2 import sql

    schemas = sorted({str(v) for k, v in variables.items() if k.endswith("_schema")})
    tables: dict[str, Any] = {}
    with conn.cursor() as cur:
        cur.execute(
            "SELECT t.table_schema, t.table_name, bool_or(c.column_name = %s) "
            "FROM information_schema.tables t JOIN information_schema.columns c "
            "USING (table_schema, table_name) WHERE t.table_schema = ANY(%s) "
            # the loaders' own tables (target-postgres' _bizops_rejects) are no source
            "AND t.table_type = 'BASE TABLE' AND left(t.table_name, 1) <> '_' "
            "GROUP BY 1, 2 ORDER BY 1, 2",
            (BATCHED_AT, schemas),
        )
        found = cur.fetchall()
        for table_schema, table, has_batched_at in found:
            if not has_batched_at:
                return None
            query = sql.SQL("SELECT count(*), max({}) FROM {}.{}").format(
                sql.Identifier(BATCHED_AT), sql.Identifier(table_schema), sql.Identifier(table)
            )
            cur.execute(query)
            count, latest = cur.fetchone()
            tables[f"{table_schema}.{table}"] = [count, latest.isoformat() if latest else None]
    clock = variables.get("metrics_as_of") or datetime.now(UTC).date().isoformat()
    facts = {
        "tables": tables, "vars": dict(variables), "clock": clock, "schema": schema,
        "project": project_digest(dbt_dir),
    }  # fmt: skip
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def marts_exist(conn: Any, schema: str) -> bool:
    """Whether the metric marts of a build into ``schema`` are there (a dropped schema must
    be built again whatever the fingerprint says)."""
    metrics = "metrics" if schema == "public" else f"{schema}_metrics"
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{metrics}".metric_values',))
        return bool(cur.fetchone()[0])


def as_state(value: str) -> dict[str, Any]:
    """The fingerprint as the stored state of ``transform``."""
    return {"bookmarks": {"build": {"fingerprint": value}}}


def of_state(state: Any) -> str | None:
    """The fingerprint in a stored state of ``transform`` (None if none)."""
    try:
        return str(state["bookmarks"]["build"]["fingerprint"])
    except (KeyError, TypeError):
        return None
