"""TapMarketo: the settings schema and the list of streams."""

from __future__ import annotations

import copy

import click
from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError

try:  # the `msgspec` extra of singer-sdk; without it the SDK's default writer
    from singer_sdk.contrib.msgspec import MsgSpecWriter
except ImportError:  # pragma: no cover - depends on the installed extras
    MsgSpecWriter = None

from bizops_core.errors import ConfigurationError
from bizops_core.number_texts import parse_number_texts
from bizops_core.redact import Redactor
from bizops_core.singer_cli import BizOpsSingerCommand
from tap_marketo.client import MarketoClient
from tap_marketo.config import CONFIG_SCHEMA, MarketoConfig, parse_config
from tap_marketo.streams import STREAMS, MarketoStream


class TapMarketo(Tap):
    """Singer tap for Marketo."""

    name = "tap-marketo"
    # the distribution that installs this tap, for --version/--about
    package_name = "bizops"
    # A copy: the SDK adds its built-in settings (stream_maps, ...) to this dict in place.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    if MsgSpecWriter is not None:
        message_writer_class = MsgSpecWriter

    _settings: MarketoConfig | None = None
    _client: MarketoClient | None = None

    @property
    def settings(self) -> MarketoConfig:
        """The typed settings, parsed once (a bad setting fails here, naming itself)."""
        if self._settings is None:
            self._settings = parse_config(self.config)
        return self._settings

    @property
    def client(self) -> MarketoClient:
        """The one API client the streams share."""
        if self._client is None:
            self._client = MarketoClient(self.settings)
        return self._client

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's schema check, then our parse, both failing as a BizOps ConfigurationError
        (exit code 2, one line naming the setting, the client secret masked)."""
        # Meltano passes a number read from an environment variable as text
        self._config = parse_number_texts(self._config, self.config_jsonschema)
        try:
            errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as exc:
            redact = Redactor([str(self._config.get("client_secret") or "")])
            problems = redact("; ".join(exc.errors) or str(exc))
            message = f"tap-marketo settings are invalid: {problems}"
            raise ConfigurationError(message) from exc
        if raise_errors:
            self._settings = parse_config(self.config)
        return errors

    def discover_streams(self) -> list[MarketoStream]:
        """One stream per declaration (the catalog needs no API call, but the SDK does not
        validate settings for --discover: a bad setting fails here too, naming itself)."""
        self.settings  # noqa: B018 - parsed for its errors
        return [stream(self) for stream in STREAMS]

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK command, ending on a BizOps error with its short message and exit code."""
        return BizOpsSingerCommand.from_command(super().get_singer_command(), cls.logger)
