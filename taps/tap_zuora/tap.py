"""TapZuora: the settings schema and one stream per configured Zuora object, from describe."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import click
from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError

from bizops_core.errors import ConfigurationError
from bizops_core.number_texts import parse_number_texts
from bizops_core.redact import Redactor
from bizops_core.selection import selected_stream_ids
from bizops_core.singer_cli import BizOpsSingerCommand
from tap_zuora.client import ZuoraClient
from tap_zuora.config import CONFIG_SCHEMA, ZuoraConfig, parse_config
from tap_zuora.quirks import UNSUPPORTED_FIELDS_FOR_REST
from tap_zuora.streams import ZuoraObjectStream
from tap_zuora.writer import FastWriter


class TapZuora(Tap):
    """Singer tap for Zuora: exports objects through REST export or AQuA (ZOQL to CSV)."""

    name = "tap-zuora"
    package_name = "bizops"  # the distribution that installs this tap, for --version/--about
    # A copy: the SDK adds its built-in settings (stream_maps, ...) to this dict in place.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    # Streams come from the tenant's describe endpoints, so --discover needs valid settings.
    dynamic_catalog = True

    if FastWriter is not None:
        # ~1.5x the records/s of the SDK's default writer (reference/singer.md section 7).
        message_writer_class = FastWriter

    _settings: ZuoraConfig | None = None
    _client: ZuoraClient | None = None
    _skipped: dict[str, str] | None = None

    @property
    def skipped(self) -> dict[str, str]:
        """Streams skipped because Zuora denied access, with Zuora's message."""
        if self._skipped is None:
            self._skipped = {}
        return self._skipped

    @property
    def settings(self) -> ZuoraConfig:
        """The typed settings, parsed once (a bad setting fails here, naming itself)."""
        if self._settings is None:
            self._settings = parse_config(self.config)
        return self._settings

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's schema check, then our parse, both failing as a BizOps ConfigurationError.

        The SDK reports a schema violation with exit code 1 and a log of its own; raising our
        taxonomy error instead gives every bad setting the same message shape and exit code 2.
        """
        # Meltano passes a number read from an environment variable as text
        self._config = parse_number_texts(self._config, self.config_jsonschema)
        try:
            errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as exc:
            # A secret of the wrong type would be quoted by the schema validator's message.
            redact = Redactor([str(self._config.get("client_secret") or "")])
            problems = redact("; ".join(exc.errors) or str(exc))
            raise ConfigurationError(f"tap-zuora settings are invalid: {problems}") from exc
        if raise_errors:
            self._settings = parse_config(self.config)
        return errors

    @property
    def client(self) -> ZuoraClient:
        """The one Zuora client (token, HTTP session) the streams share."""
        if self._client is None:
            self._client = ZuoraClient(self.settings)
        return self._client

    @property
    def sync_started_at(self) -> datetime:
        """When this run started, truncated to whole seconds: the upper bound of every export.

        Zuora keeps UpdatedDate to the second, so a row changed later in the current second
        may carry a time below a finer bound; excluding the whole second leaves it to next run.
        """
        return datetime.fromtimestamp(self.initialized_at // 1000, tz=UTC)

    def discover_streams(self) -> list[ZuoraObjectStream]:
        """One stream per configured object (default: every object) the tenant describes.

        In REST mode the fields REST export refuses are left out of the schema.
        """
        available = self.client.object_names()
        wanted = list(self.settings.objects or available)
        missing = [name for name in wanted if name not in available]
        if missing:
            raise ConfigurationError(
                "tap-zuora setting 'objects' names objects Zuora does not describe: "
                + ", ".join(missing)
            )
        selected = selected_stream_ids(self.input_catalog)
        if selected is not None:  # a run: describe only what the catalog selects
            wanted = [name for name in wanted if name in selected]
        streams = []
        for name in wanted:
            obj = self.client.describe(name)
            if self.settings.api_type == "REST":
                obj = obj.without(UNSUPPORTED_FIELDS_FOR_REST.get(name, frozenset()))
            streams.append(ZuoraObjectStream(self, obj, self.client))
        return streams

    def sync_all(self) -> None:
        """Sync every selected stream, then name the streams skipped for want of permission.

        Raises:
            ConfigurationError: Zuora denied every selected stream.
        """
        super().sync_all()
        if not self.skipped:
            return
        names = ", ".join(sorted(self.skipped))
        selected = [s for s in self.streams.values() if s.selected]
        if len(self.skipped) >= len(selected):
            raise ConfigurationError(f"Zuora denied access to every selected stream: {names}")
        self.logger.warning(
            "tap-zuora finished, but skipped %d stream(s) Zuora denied access to: %s",
            len(self.skipped), names,
        )  # fmt: skip

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK command, ending on a BizOps error with its short message and exit code."""
        return BizOpsSingerCommand.from_command(super().get_singer_command(), cls.logger)
