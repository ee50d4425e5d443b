"""The expired-token check: the emulator expires the tap's access token midway through a sync;
the tap must authenticate again and still emit every record.

It needs the emulator's ``POST /__sandbox/expire-tokens`` (``sandbox/README.md``): body
``{"after_requests": n}`` expires every token issued so far once ``n`` more API requests have
been answered (``0``: now). An emulator that answers 404 to it issues no tokens: the check is
skipped. A refused request is one the request log marks ``"expired_token": true`` (whatever its
status: Marketo refuses with HTTP 200 and error 602) or one answered 401.
"""

from __future__ import annotations

from typing import Any

import requests

from bizops_core.conformance import catalogs
from bizops_core.conformance.context import Context, Failed, Skipped, admin

ROUTE = "expire-tokens"
ROTATING = (
    "the tokens expired after {after} of {calls} API requests, but no later request carried "
    "one: the tap authenticates without an access token here (an API token), and with OAuth "
    "this API rotates refresh tokens (a refresh invalidates the configured pair), so the "
    "suite's later processes, started from the same config, could not authenticate: test the "
    "refresh within one run instead"
)


def _expire(ctx: Context, after_requests: int) -> Any:
    """``POST /__sandbox/expire-tokens``; None when the emulator answers 404 (no such route,
    or an API without tokens)."""
    try:
        answer = requests.post(
            f"{ctx.emulator}/__sandbox/{ROUTE}", json={"after_requests": after_requests}, timeout=30
        )
    except requests.RequestException as exc:
        raise Failed(f"the emulator's admin side did not answer: {type(exc).__name__}") from None
    if answer.status_code == 404:
        return None
    if answer.status_code >= 400:
        raise Failed(f"the emulator answered {answer.status_code} to POST /__sandbox/{ROUTE}")
    return answer.json() if answer.content else {}


def _refused(entry: dict[str, Any]) -> bool:
    """A logged request the emulator refused for its expired token: marked so in the log (an API
    that says so in a 200 body, as Marketo's error 602), or answered 401 (an emulator that
    does not mark, its tokens being forgotten when they expire)."""
    return entry.get("expired_token") is True or entry.get("status") == 401


def expired_token_survived(ctx: Context) -> str:
    """With every access token expired halfway through a sync's API requests (counted in a
    clean sync just before), the tap authenticates again and emits every record of that sync."""
    if ctx.emulator is None:
        raise Skipped("no --emulator given")
    if _expire(ctx, 0) is None:  # expiring now, between syncs, touches no run
        raise Skipped(f"the emulator has no POST /__sandbox/{ROUTE} (404)")
    catalog = catalogs.select(ctx.catalog)
    admin(ctx, "DELETE", "requests")
    clean = ctx.sync(catalog)
    calls = len(admin(ctx, "GET", "requests") or [])
    if calls < 2:
        raise Skipped(f"a sync makes {calls} API request(s): no midway to expire a token at")
    after = calls // 2
    admin(ctx, "DELETE", "requests")
    answer = _expire(ctx, after) or {}
    try:
        run = ctx.sync(catalog)
    finally:
        _expire(ctx, 0)  # an expiry still pending (a shorter run) must not reach later checks
    refused = [e for e in admin(ctx, "GET", "requests") or [] if _refused(e)]
    if not refused and answer.get("rotates_refresh_tokens") is True:
        raise Skipped(ROTATING.format(after=after, calls=calls))
    if not refused:
        raise Skipped(f"the tokens expired after {after} of {calls} API requests, but no "
                      "later request carried one")  # fmt: skip
    for stream in clean.records:
        lost = clean.ids(stream) - run.ids(stream)
        if lost:
            raise Failed(
                f"after its token expired, {stream} lost {len(lost)} of {len(clean.ids(stream))}"
            )
    return (
        f"tokens expired after {after} of {calls} API requests; {len(refused)} refused, "
        "authenticated again, every record emitted"
    )
