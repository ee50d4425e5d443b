"""TapHubspot: the settings schema and the list of streams."""

from __future__ import annotations

import copy

import click
from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError

from bizops_core.errors import ConfigurationError
from bizops_core.number_texts import parse_number_texts
from bizops_core.redact import Redactor
from bizops_core.singer_cli import BizOpsSingerCommand
from tap_hubspot.client import HubspotClient
from tap_hubspot.config import CONFIG_SCHEMA, HubspotConfig, parse_config
from tap_hubspot.streams import ALL_STREAMS


class TapHubspot(Tap):
    """Singer tap for HubSpot (CRM v3 objects and the search API)."""

    name = "tap-hubspot"
    # the distribution that installs this tap, for --version/--about
    package_name = "bizops"
    # A copy: the SDK adds its built-in settings (stream_maps, ...) to this dict in place.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)

    _settings: HubspotConfig | None = None
    _client: HubspotClient | None = None

    @property
    def settings(self) -> HubspotConfig:
        """The typed settings, parsed once (a bad setting fails here, naming itself)."""
        if self._settings is None:
            self._settings = parse_config(self.config)
        return self._settings

    @property
    def client(self) -> HubspotClient:
        """The one API client the streams share."""
        if self._client is None:
            self._client = HubspotClient(self.settings)
        return self._client

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's schema check, then our parse, both failing as a BizOps ConfigurationError
        (exit code 2, one line naming the setting, the secrets masked)."""
        # Meltano passes a number read from an environment variable as text
        self._config = parse_number_texts(self._config, self.config_jsonschema)
        try:
            errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as exc:
            names = ("access_token", "client_secret", "refresh_token")
            redact = Redactor([str(self._config.get(name) or "") for name in names])
            problems = redact("; ".join(exc.errors) or str(exc))
            message = f"tap-hubspot settings are invalid: {problems}"
            raise ConfigurationError(message) from exc
        if raise_errors:
            self._settings = parse_config(self.config)
        return errors

    def discover_streams(self) -> list[Stream]:
        """One stream per declaration (the catalog needs no API call, but the SDK does not
        validate settings for --discover: a bad setting fails here too, naming itself)."""
        self.settings  # noqa: B018 - parsed for its errors
        return [stream(self) for stream in ALL_STREAMS]

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK command, ending on a BizOps error with its short message and exit code."""
        return BizOpsSingerCommand.from_command(super().get_singer_command(), cls.logger)
