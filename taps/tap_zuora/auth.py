"""Zuora OAuth (client_credentials): fetches, caches and renews the bearer token."""

from __future__ import annotations

import logging
import time

from bizops_core.errors import FatalError
from bizops_core.http import HttpClient, json_body
from bizops_core.redact import Redactor

LOGGER = logging.getLogger("tap_zuora.auth")

# Renew a little before Zuora's stated expiry so a token never dies mid-request.
EXPIRY_MARGIN_SECONDS = 60.0


class ZuoraOAuth:
    """Bearer tokens from ``POST /oauth/token``; the token itself is never logged.

    Args:
        http: the client bound to the Zuora host (retries 429/5xx on the token call too).
        client_id: the OAuth client id.
        client_secret: the OAuth client secret.
        redactor: receives every token so that no error message can show it.
    """

    def __init__(
        self, http: HttpClient, client_id: str, client_secret: str, redactor: Redactor
    ) -> None:
        self._http = http
        self._client_id = client_id
        self._client_secret = client_secret
        self._redactor = redactor
        self._token: str | None = None
        self._expires_at = 0.0

    def headers(self) -> dict[str, str]:
        """The ``Authorization`` header for the next /v1 call, fetching a token if needed."""
        if self._token is None or time.monotonic() >= self._expires_at:
            self._fetch()
        return {"Authorization": f"Bearer {self._token}"}

    def invalidate(self) -> None:
        """Forget the token (Zuora refused it), so the next call fetches a new one."""
        self._token = None

    def _fetch(self) -> None:
        form = {
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "grant_type": "client_credentials",
        }
        # A body cut off mid-way does not decode and is retried like a dropped connection.
        body = self._http.fetch("POST", "oauth/token", json_body, data=form)
        try:
            token = body["access_token"]
        except (KeyError, TypeError) as exc:
            raise FatalError("Zuora POST /oauth/token answered without an access_token") from exc
        self._redactor.add(token)
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        self._token = token
        self._expires_at = time.monotonic() + lifetime - min(EXPIRY_MARGIN_SECONDS, lifetime / 2)
        LOGGER.info("obtained a Zuora OAuth token valid for %.0f s", lifetime)


class ZuoraBasicAuth:
    """Zuora's key headers (``apiAccessKeyId``/``apiSecretAccessKey``) on every call.

    The same interface as :class:`ZuoraOAuth`; there is no token to renew, so a 401 with these
    headers means the keys themselves are wrong.
    """

    def __init__(self, access_key_id: str, secret_access_key: str) -> None:
        self._headers = {"apiAccessKeyId": access_key_id, "apiSecretAccessKey": secret_access_key}

    def headers(self) -> dict[str, str]:
        """The two key headers."""
        return dict(self._headers)

    def invalidate(self) -> None:
        """Nothing to forget: the keys do not expire."""
