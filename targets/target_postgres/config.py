"""The target's settings: declared once as a schema, parsed at start into a frozen dataclass."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bizops_core.errors import ConfigurationError
from bizops_core.redact import mask_connection_strings

URL_SCHEMES = ("postgresql", "postgres")


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting: its JSON type, what it does, its default and whether it is a secret."""

    name: str
    type: str  # "string" | "integer" | "boolean"
    description: str
    default: Any = None
    secret: bool = False
    choices: tuple[str, ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "string",
        "PostgreSQL URL postgresql://user:password@host:port/dbname (or give host, port, user, "
        "password and dbname)",
        secret=True,
    ),
    Setting("host", "string", "Server host name or address (when database_url is not given)"),
    Setting("port", "integer", "Server port", 5432),
    Setting("user", "string", "User name to connect as"),
    Setting("password", "string", "Password of that user", secret=True),
    Setting("dbname", "string", "Database to load into"),
    Setting(
        "default_target_schema", "string", "Schema the tables go to; created if missing", "public"
    ),
    Setting("batch_size_rows", "integer", "Records per stream buffered before a flush", 100000),
    Setting(
        "batch_size_bytes",
        "integer",
        "Bytes (raw lines plus encoded rows) per stream buffered before a flush; memory stays "
        "near three times this",
        32 * 1024 * 1024,
    ),
    Setting(
        "validate_records",
        "string",
        "off: no check (PostgreSQL still refuses what a column cannot hold); types: each value "
        "must have a JSON type its schema allows; strict: full JSON Schema validation (slow)",
        "types",
        choices=("off", "types", "strict"),
    ),
    Setting(
        "hard_delete",
        "boolean",
        "On ACTIVATE_VERSION delete the rows of older versions instead of setting _sdc_deleted_at",
        False,
    ),
    Setting(
        "state_table",
        "string",
        "Table ([schema.]table) the target writes each released state into, in the same "
        "transaction as the data it covers; created if missing; needs state_id",
    ),
    Setting("state_id", "string", "Key of this pipeline's row in state_table"),
    Setting(
        "input_end_token",
        "string",
        "Set by bizops: the input is complete only when its last line is "
        '{"type": "END_OF_INPUT", "token": <this>}; without it (the tap failed or was stopped) '
        "nothing after the last STATE is committed and the target exits 6; needs state_table",
    ),
    Setting(
        "add_metadata_columns",
        "boolean",
        "Add _sdc_extracted_at, _sdc_received_at, _sdc_batched_at, _sdc_deleted_at, "
        "_sdc_sequence and _sdc_table_version columns",
        True,
    ),
)
_BY_NAME = {setting.name: setting for setting in SETTINGS}
_PYTHON_TYPES = {"string": str, "integer": int, "boolean": bool}


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the config file, as shown by ``--about``."""
    properties: dict[str, Any] = {}
    for setting in SETTINGS:
        prop: dict[str, Any] = {"type": setting.type, "description": setting.description}
        if setting.default is not None:
            prop["default"] = setting.default
        if setting.secret:
            prop.update(secret=True, writeOnly=True)
        if setting.choices:
            prop["enum"] = list(setting.choices)
        properties[setting.name] = prop
    return {"type": "object", "properties": properties, "additionalProperties": False}


@dataclasses.dataclass(frozen=True)
class TargetConfig:
    """The parsed settings of one run; secrets are kept out of ``repr``."""

    database_url: str | None = dataclasses.field(default=None, repr=False)
    host: str | None = None
    port: int = 5432
    user: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    dbname: str | None = None
    default_target_schema: str = "public"
    batch_size_rows: int = 100000
    batch_size_bytes: int = 32 * 1024 * 1024
    validate_records: str = "types"
    hard_delete: bool = False
    state_table: str | None = None
    state_id: str | None = None
    input_end_token: str | None = None
    add_metadata_columns: bool = True

    def state_table_name(self) -> tuple[str, str]:
        """(schema, table) of ``state_table``; a bare name lives in ``default_target_schema``."""
        if not self.state_table:
            raise ConfigurationError("state_table: not configured")
        schema, _, name = self.state_table.rpartition(".")
        return (schema or self.default_target_schema, name)

    def connect_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``psycopg2.connect``."""
        if self.database_url:
            return {"dsn": self.database_url}
        fields = {"host": self.host, "port": self.port, "user": self.user}
        fields.update(password=self.password, dbname=self.dbname)
        return {key: value for key, value in fields.items() if value is not None}

    def describe_connection(self) -> str:
        """Where the target connects, with the password masked: safe to log."""
        if self.database_url:
            return mask_connection_strings(self.database_url)
        return f"host={self.host} port={self.port} user={self.user} dbname={self.dbname}"


def parse_config(raw: Any) -> TargetConfig:
    """Check a config mapping against :data:`SETTINGS` and build the dataclass.

    Args:
        raw: the decoded JSON of the config file.

    Returns:
        The parsed config.

    Raises:
        ConfigurationError: naming the first field that is unknown, missing or wrong.
    """
    if not isinstance(raw, Mapping):
        raise ConfigurationError("config must be a JSON object")
    unknown = sorted(set(raw) - set(_BY_NAME))
    if unknown:
        raise ConfigurationError(f"unknown config key(s): {', '.join(unknown)}")
    values = {name: _checked(_BY_NAME[name], value) for name, value in raw.items()}
    config = TargetConfig(**{k: v for k, v in values.items() if v is not None})
    _check_connection(config)
    for name in ("batch_size_rows", "batch_size_bytes"):
        if getattr(config, name) < 1:
            raise ConfigurationError(f"{name}: must be at least 1")
    if bool(config.state_table) != bool(config.state_id):
        raise ConfigurationError("state_table: give state_table and state_id together")
    if config.input_end_token and not config.state_table:
        raise ConfigurationError("input_end_token: needs state_table")
    if config.state_table and not config.state_table_name()[1]:
        raise ConfigurationError("state_table: must name a table ([schema.]table)")
    if not config.default_target_schema:
        raise ConfigurationError("default_target_schema: must not be empty")
    return config


def load_config(path: Path) -> TargetConfig:
    """Read and parse the JSON config file at ``path``."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read config file {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigurationError(f"config file {path} is not valid JSON: {exc}") from exc
    return parse_config(raw)


def _checked(setting: Setting, value: Any) -> Any:
    """The value if it has the setting's JSON type (``None`` means "use the default")."""
    if value is None:
        return None
    expected = _PYTHON_TYPES[setting.type]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigurationError(
            f"{setting.name}: must be {_article(setting.type)} {setting.type}, "
            f"got {type(value).__name__}"
        )
    if setting.choices and value not in setting.choices:
        raise ConfigurationError(f"{setting.name}: must be one of {', '.join(setting.choices)}")
    return value


def _check_connection(config: TargetConfig) -> None:
    """Exactly one way to connect: a URL, or a host (with optional port/user/password/dbname)."""
    if config.database_url and config.host:
        raise ConfigurationError("database_url: give either database_url or host, not both")
    if config.database_url:
        if urlsplit(config.database_url).scheme not in URL_SCHEMES:
            raise ConfigurationError("database_url: must be a postgresql:// URL")
        return
    if not config.host:
        raise ConfigurationError("database_url: required (or give host, port, user, dbname)")
    if not 0 < config.port < 65536:
        raise ConfigurationError("port: must be between 1 and 65535")


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"
