"""TapZendesk: the settings schema and the list of streams."""

from __future__ import annotations

import copy

import click
from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError

from bizops_core.errors import ConfigurationError
from bizops_core.number_texts import parse_number_texts
from bizops_core.redact import Redactor
from bizops_core.singer_cli import BizOpsSingerCommand
from tap_zendesk.client import ZendeskClient
from tap_zendesk.config import CONFIG_SCHEMA, SECRETS, ZendeskConfig, parse_config
from tap_zendesk.streams import STREAMS, ZendeskStream


class TapZendesk(Tap):
    """Singer tap for Zendesk."""

    name = "tap-zendesk"
    # the distribution that installs this tap, for --version/--about
    package_name = "bizops"
    # A copy: the SDK adds its built-in settings (stream_maps, ...) to this dict in place.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)

    _settings: ZendeskConfig | None = None
    _client: ZendeskClient | None = None

    @property
    def settings(self) -> ZendeskConfig:
        """The typed settings, parsed once (a bad setting fails here, naming itself)."""
        if self._settings is None:
            self._settings = parse_config(self.config)
        return self._settings

    @property
    def client(self) -> ZendeskClient:
        """The one API client the streams share."""
        if self._client is None:
            self._client = ZendeskClient(self.settings)
        return self._client

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's schema check, then our parse, both failing as a BizOps ConfigurationError
        (exit code 2, one line naming the setting, secrets masked)."""
        # Meltano passes a number read from an environment variable as text
        self._config = parse_number_texts(self._config, self.config_jsonschema)
        try:
            errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as exc:
            redact = Redactor([str(self._config.get(name) or "") for name in SECRETS])
            problems = redact("; ".join(exc.errors) or str(exc))
            message = f"tap-zendesk settings are invalid: {problems}"
            raise ConfigurationError(message) from exc
        if raise_errors:
            self._settings = parse_config(self.config)
        return errors

    def discover_streams(self) -> list[ZendeskStream]:
        """One stream per declaration (the catalog needs no API call, but the SDK does not
        validate settings for --discover: a bad setting fails here too, naming itself)."""
        self.settings  # noqa: B018 - parsed for its errors
        return [stream(self) for stream in STREAMS]

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK command, ending on a BizOps error with its short message and exit code."""
        return BizOpsSingerCommand.from_command(super().get_singer_command(), cls.logger)
