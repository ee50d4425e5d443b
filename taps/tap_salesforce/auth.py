"""Salesforce OAuth: refresh_token or client_credentials at the login host -> session + instance."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bizops_core.errors import FatalError
from bizops_core.http import HttpClient, json_body
from bizops_core.redact import Redactor
from tap_salesforce.config import SalesforceConfig

LOGGER = logging.getLogger("tap_salesforce.auth")


@dataclass(frozen=True)
class Session:
    """A logged-in session: the bearer token and the org's own host."""

    access_token: str
    instance_url: str


class SalesforceLogin:
    """Logs in at ``login_url`` and keeps the session until Salesforce refuses it.

    Args:
        http: the client bound to the login host.
        config: client id/secret and, when set, the refresh token.
        redactor: receives every session id, so no error message can show one.
    """

    def __init__(self, http: HttpClient, config: SalesforceConfig, redactor: Redactor) -> None:
        self._http = http
        self._config = config
        self._redactor = redactor
        self._session: Session | None = None

    def session(self) -> Session:
        """The current session, logging in first when there is none."""
        if self._session is None:
            self._session = self._login()
        return self._session

    def invalidate(self) -> None:
        """Forget the session (Salesforce refused it), so the next call logs in again."""
        self._session = None

    def _login(self) -> Session:
        config = self._config
        form = {"client_id": config.client_id, "client_secret": config.client_secret}
        if config.refresh_token:
            form.update(grant_type="refresh_token", refresh_token=config.refresh_token)
        else:
            form.update(grant_type="client_credentials")
        # A body cut off mid-way does not decode and is retried like a dropped connection.
        body = self._http.fetch("POST", "services/oauth2/token", json_body, data=form)
        try:
            token, instance = str(body["access_token"]), str(body["instance_url"])
        except (KeyError, TypeError) as exc:
            raise FatalError(
                "Salesforce POST /services/oauth2/token answered without access_token and "
                "instance_url"
            ) from exc
        self._redactor.add(token)
        LOGGER.info("logged in to Salesforce (%s flow); instance %s", form["grant_type"], instance)
        return Session(token, instance.rstrip("/"))
