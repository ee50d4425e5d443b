"""TapSalesforce: the settings schema and one stream per queryable Salesforce object."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from types import FrameType

import click
from singer_sdk import Tap
from singer_sdk.exceptions import ConfigValidationError

from bizops_core.errors import ConfigurationError
from bizops_core.number_texts import parse_number_texts
from bizops_core.redact import Redactor
from bizops_core.selection import selected_stream_ids
from bizops_core.singer_cli import BizOpsSingerCommand
from tap_salesforce.client import SalesforceClient
from tap_salesforce.config import CONFIG_SCHEMA, SalesforceConfig, parse_config
from tap_salesforce.quirks import ObjectAccessDenied, QuotaReached
from tap_salesforce.streams import NOT_HELD, RunStatus, SalesforceStream
from tap_salesforce.writer import BufferedMsgSpecWriter


class TapSalesforce(Tap):
    """Singer tap for Salesforce: REST queryAll or Bulk API 2.0, incremental on SystemModstamp."""

    name = "tap-salesforce"
    package_name = "bizops"  # the distribution that installs this tap, for --version/--about
    # A copy: the SDK adds its built-in settings (stream_maps, ...) to this dict in place.
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    # Streams come from the org's describe calls, so --discover needs valid settings.
    dynamic_catalog = True
    message_writer_class = BufferedMsgSpecWriter

    _settings: SalesforceConfig | None = None
    _client: SalesforceClient | None = None
    _run_status: RunStatus | None = None

    @property
    def settings(self) -> SalesforceConfig:
        """The typed settings, parsed once (a bad setting fails here, naming itself)."""
        if self._settings is None:
            self._settings = parse_config(self.config)
        return self._settings

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's schema check, then our parse, both failing as a BizOps ConfigurationError."""
        # Meltano passes a number read from an environment variable as text
        self._config = parse_number_texts(self._config, self.config_jsonschema)
        try:
            errors = super()._validate_config(raise_errors=raise_errors)
        except ConfigValidationError as exc:
            secrets = [str(self._config.get(k) or "") for k in ("client_secret", "refresh_token")]
            problems = Redactor(secrets)("; ".join(exc.errors) or str(exc))
            raise ConfigurationError(f"tap-salesforce settings are invalid: {problems}") from exc
        if raise_errors:
            self._settings = parse_config(self.config)
        return errors

    @property
    def client(self) -> SalesforceClient:
        """The one Salesforce client (session, HTTP, API usage) the streams share."""
        if self._client is None:
            self._client = SalesforceClient(self.settings)
        return self._client

    @property
    def run_status(self) -> RunStatus:
        """Streams skipped and the reason of an early stop, reported when the run ends."""
        if self._run_status is None:
            self._run_status = RunStatus()
        return self._run_status

    @property
    def sync_started_at(self) -> datetime:
        """When this run started, truncated to whole seconds: the upper bound of every query.

        SystemModstamp is stored to the millisecond; leaving out the whole current second
        leaves a row changed later in it to the next run instead of losing it.
        """
        return datetime.fromtimestamp(self.initialized_at // 1000, tz=UTC)

    def discover_streams(self) -> list[SalesforceStream]:
        """One stream per configured (else every queryable) object the org describes."""
        available = self.client.object_names()
        wanted = list(self.settings.objects) or available
        missing = [name for name in wanted if name not in available]
        if missing:
            raise ConfigurationError(
                "tap-salesforce setting 'objects' names objects Salesforce does not list as "
                "queryable: " + ", ".join(missing)
            )
        selected = selected_stream_ids(self.input_catalog)
        if selected is not None:  # a run: describe only what the catalog selects
            wanted = [name for name in wanted if name in selected]
        streams = []
        for name in wanted:
            try:
                streams.append(SalesforceStream(self, self.client.describe(name), self.client))
            except ObjectAccessDenied as exc:
                self.logger.warning("leaving %s out of the catalog: %s", name, exc)
                self.run_status.skipped[name] = str(exc)
        return streams

    def sync_all(self) -> None:
        """Sync every selected stream, then report skipped streams and an early stop.

        Raises:
            QuotaReached: the run stopped at the API quota (exit 75); the state written
                before it holds the exact progress, so the next run resumes from there.
        """
        super().sync_all()
        run = self.run_status
        for name, reason in run.skipped.items():
            self.logger.warning("stream %s was skipped: %s", name, reason)
        if run.stopped:
            raise QuotaReached(
                f"stopped early, state saved: {run.stopped}; not synced: "
                + (", ".join(run.not_synced) or "none")
            )

    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """On SIGTERM/SIGINT, hold back the bookmark of a stream stopped part-way through a
        group of rows sharing one key value; the SDK then writes the state and exits. The
        group's rows already written come again next run (merged on Id), none are lost."""
        for stream in self.streams.values():
            held = getattr(stream, "held_bookmark", NOT_HELD)
            if held is NOT_HELD:
                continue
            state = stream.get_context_state(None)
            if held is None:
                state.pop("replication_key_value", None)
            else:
                state["replication_key_value"] = held
        super()._handle_termination(signum, frame)

    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK command, ending on a BizOps error with its short message and exit code."""
        return BizOpsSingerCommand.from_command(super().get_singer_command(), cls.logger)
