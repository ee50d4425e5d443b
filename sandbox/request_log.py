"""What an emulator's request log (``GET /__sandbox/requests``) records of a request: one entry,
secrets masked, and the mark of a request refused because its access token had expired.

One rule for every emulator: the value of a query parameter named in ``SECRET_PARAMETERS``
(compared without case) is logged as ``***``, and so is any secret value the emulator registered
in its ``Redactor`` (an OAuth client secret, the tokens it issued) wherever it appears in the
query or the body. Request headers (``Authorization``, ``X-Api-Key``...) are not logged at all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from werkzeug.wrappers import Request

from bizops_core.redact import MASK, Redactor

# Query parameters that carry a credential in the APIs we emulate or their siblings: Marketo's
# token call (client_secret) and its legacy ``access_token`` parameter, HubSpot's legacy
# ``hapikey``, OAuth's refresh_token and authorization ``code`` grant, and the generic names.
SECRET_PARAMETERS = frozenset({
    "access_token", "api_key", "apikey", "api_token", "client_secret", "code", "hapikey",
    "password", "refresh_token", "secret", "token",
})  # fmt: skip
# Set by an emulator on a request it refused because the access token had expired.
EXPIRED_TOKEN = "bizops_sandbox.expired_token"  # noqa: S105 - an environ key, not a secret


def mark_expired_token(request: Request) -> None:
    """Record in the log that ``request`` was refused for an expired token (whatever status or
    body the vendor answers that with: Marketo says so with HTTP 200 and error 602)."""
    request.environ[EXPIRED_TOKEN] = True


def redact_query(query: str, redact: Redactor) -> str:
    """``query`` as sent (its encoding kept) with the value of each secret parameter masked."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, equals, _ = part.partition("=")
        if equals and unquote_plus(name).lower() in SECRET_PARAMETERS:
            part = f"{name}={MASK}"
        parts.append(part)
    return redact("&".join(parts))


def entry(request: Request, status: int | None, body: str, redact: Redactor) -> dict[str, Any]:
    """The log entry of one answered API request; ``expired_token`` only on a refused one."""
    logged: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "query": redact_query(request.query_string.decode("latin-1"), redact),
        "status": status,
        "body": redact(body) if body else None,
    }
    if request.environ.get(EXPIRED_TOKEN):
        logged["expired_token"] = True
    return logged
