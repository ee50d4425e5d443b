"""Turns a SCHEMA message into a stream plan: identifiers, table DDL, column types, validation."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import psycopg2

from bizops_core.errors import DataError
from target_postgres import table, types
from target_postgres.batch import (
    BATCHED_AT,
    METADATA_TYPES,
    ORDINAL,
    Column,
    StreamPlan,
    Validator,
)
from target_postgres.config import TargetConfig
from target_postgres.meta import IdentifierMap
from target_postgres.reader import Message

LOGGER = logging.getLogger("target_postgres.planner")
_LIMIT_EXCEEDED = "54"  # SQLSTATE class: more than 1600 columns, too many key columns, ...
_NUL_NAME = "the name holds a NUL character, which PostgreSQL cannot store"


class Planner:
    """Plans streams on the load connection (only while the writer is idle)."""

    def __init__(self, config: TargetConfig, conn: Any) -> None:
        self.config = config
        self.conn = conn
        with conn.cursor() as cur:
            self.identifiers = IdentifierMap(cur, config.default_target_schema)
        conn.commit()

    def plan(
        self, line: int, stream: str, properties: dict[str, Any], keys: list[str]
    ) -> StreamPlan:
        """Create or extend the stream's table and return its plan (committed).

        Raises:
            DataError: naming the line, when the schema is invalid or changes the table's key.
        """
        try:
            with self.conn.cursor() as cur:
                plan = self._plan(cur, stream, properties, keys)
        except DataError as exc:
            self.conn.rollback()
            raise DataError(f"line {line}: SCHEMA for stream {stream!r}: {exc}") from exc
        except psycopg2.Error as exc:
            if not (exc.pgcode or "").startswith(_LIMIT_EXCEEDED):
                raise
            self.conn.rollback()
            raise DataError(
                f"line {line}: SCHEMA for stream {stream!r}: PostgreSQL cannot hold the table: "
                f"{str(exc).strip()}"
            ) from exc
        self.conn.commit()
        return plan

    def _plan(
        self, cur: Any, stream: str, properties: dict[str, Any], keys: list[str]
    ) -> StreamPlan:
        wanted_types = {prop: types.column_type(schema) for prop, schema in properties.items()}
        metadata = list(METADATA_TYPES) if self.config.add_metadata_columns else []
        metadata = [name for name in metadata if name not in properties]
        schema = self.config.default_target_schema
        table_name = self.identifiers.table(cur, stream)
        names = self.identifiers.columns(cur, stream, properties, [*metadata, ORDINAL])
        wanted = [(names[prop], wanted_types[prop]) for prop in properties]
        wanted += [(name, METADATA_TYPES[name]) for name in metadata]
        key_columns = tuple(names[key] for key in keys)
        actual = table.sync_table(cur, schema, table_name, wanted, key_columns)
        if BATCHED_AT in metadata:  # COPY leaves it out: the column's default fills it
            table.default_now(cur, schema, table_name, BATCHED_AT)
        columns = [
            Column(prop, names[prop], actual[names[prop]], types.value_kinds(properties[prop]))
            for prop in properties
        ]
        mode = self.config.validate_records
        return StreamPlan(
            stream,
            schema,
            table_name,
            columns,
            tuple(keys),
            key_columns,
            tuple(metadata),
            check_types=mode != "off",
            validator=_strict_validator(properties) if mode == "strict" else None,
        )


def _strict_validator(properties: dict[str, Any]) -> Validator:
    """A full JSON Schema check of a record (with format checks), as a reason or None."""
    import jsonschema  # only strict validation needs it (~40 ms to import)

    draft7 = jsonschema.Draft7Validator.TYPE_CHECKER

    # The reader returns Decimal for numbers a double cannot hold exactly; they are numbers too.
    def is_number(checker: Any, value: Any) -> bool:
        return isinstance(value, Decimal) or draft7.is_type(value, "number")

    def is_integer(checker: Any, value: Any) -> bool:
        if isinstance(value, Decimal):
            return value == value.to_integral_value()
        return draft7.is_type(value, "integer")

    decimal_aware = jsonschema.validators.extend(
        jsonschema.Draft7Validator,
        type_checker=draft7.redefine_many({"number": is_number, "integer": is_integer}),
    )
    schema = {"type": "object", "properties": properties}
    validator = decimal_aware(schema, format_checker=jsonschema.FormatChecker())

    def validate(record: Mapping[str, Any]) -> str | None:
        try:
            error = jsonschema.exceptions.best_match(validator.iter_errors(record))
            if error is None:
                return None
            where = "/".join(str(part) for part in error.absolute_path) or "record"
            return f"{where}: {error.message}"
        except RecursionError:  # jsonschema recurses (and its messages repr the value)
            return "record: nested too deeply for strict validation"

    return validate


def parse_schema(message: Message) -> tuple[str, dict[str, Any], list[str]]:
    """The stream name, properties and key properties of a SCHEMA message, checked."""
    body, line = message.body, message.line
    stream = body.get("stream")
    if not isinstance(stream, str) or not stream:
        raise DataError(f"line {line}: SCHEMA without a 'stream' name")
    schema = body.get("schema")
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict):
        raise DataError(f"line {line}: SCHEMA for stream {stream!r} has no 'properties' object")
    keys = body.get("key_properties") or []
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise DataError(f"line {line}: SCHEMA for stream {stream!r}: bad 'key_properties'")
    # PostgreSQL text cannot hold U+0000, and names are stored (see meta.IdentifierMap)
    if "\x00" in stream:
        raise DataError(f"line {line}: SCHEMA for stream {stream!r}: {_NUL_NAME}")
    for prop in properties:
        if "\x00" in prop:
            raise DataError(
                f"line {line}: SCHEMA for stream {stream!r}: property {prop!r}: {_NUL_NAME}"
            )
    repeated = [key for index, key in enumerate(keys) if key in keys[:index]]
    if repeated:
        raise DataError(
            f"line {line}: SCHEMA for stream {stream!r}: key property {repeated[0]!r} is "
            "listed twice in 'key_properties'"
        )
    missing = [key for key in keys if key not in properties]
    if missing:
        raise DataError(
            f"line {line}: SCHEMA for stream {stream!r}: key property {missing[0]!r} "
            "is not among its properties"
        )
    return stream, properties, keys
