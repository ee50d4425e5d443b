"""Emulator of the Zendesk API (a skeleton made by ``bizops new-tap``):
Bearer API key, ``GET /v1/accounts`` with cursor pagination and an inclusive
``updated_since`` filter, and the sandbox's admin side (``/__sandbox/``: mutate, faults,
request log).

Make it the vendor's: its real auth flow, page shape, filter bounds and error bodies (see
CONTRIBUTING.md, "Adding a source").
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from bizops_sandbox.emulator import Emulator, json_response
from bizops_sandbox.world import World
from bizops_sandbox.world_zendesk import accounts

API_KEY = "sandbox-api-key"
MAX_PAGE_SIZE = 100
RULES = (Rule("/v1/accounts", methods=["GET"], endpoint="list_accounts"),)


class BadRequest(ValueError):
    """A query parameter the API refuses (answered 400 with the message)."""


class ZendeskEmulator(Emulator):
    """The Zendesk API over the world."""

    # The world changes through its Salesforce side, from which these records derive: the
    # base class's mutate runs it; admin_mutate answers with this API's own changes.
    source = "salesforce"

    def __init__(self, world: World) -> None:
        super().__init__(world, RULES)

    def authorize(self, request: Request) -> Response | None:
        if request.headers.get("Authorization") == f"Bearer {API_KEY}":
            return None
        return json_response({"error": "unauthorized", "message": "invalid API key"}, 401)

    def vendor_error(self, status: int) -> tuple[Any, dict[str, str]]:
        headers = {"Retry-After": "1"} if status == 429 else {}
        return {"error": "unavailable", "message": f"sandbox fault {status}"}, headers

    def list_accounts(self, request: Request) -> Response:
        """One page of accounts ordered by (updated_at, id); ``next_cursor`` null on the last."""
        try:
            since = _instant(request.args.get("updated_since"))
            size = _page_size(request.args.get("page_size"))
            after = _decode_cursor(request.args.get("cursor"))
        except BadRequest as exc:
            return json_response({"error": "bad_request", "message": str(exc)}, 400)
        rows = sorted(accounts(self.world), key=_order)
        if since is not None:
            rows = [row for row in rows if row["updated_at"] >= since]
        if after is not None:
            rows = [row for row in rows if _order(row) > after]
        page = rows[:size]
        cursor = _encode_cursor(_order(page[-1])) if len(rows) > size else None
        return json_response({"data": [_wire(row) for row in page], "next_cursor": cursor})

    def admin_mutate(self, request: Request) -> Response:
        """Mutate the world; answer ``{"accounts": {"created", "updated", "deleted"}}``."""
        before = {row["id"]: row for row in accounts(self.world)}
        answer = super().admin_mutate(request)
        if answer.status_code != 200:
            return answer
        after = {row["id"]: row for row in accounts(self.world)}
        both = before.keys() & after.keys()
        changes = {
            "created": sorted(after.keys() - before.keys()),
            "updated": sorted(key for key in both if after[key] != before[key]),
            "deleted": sorted(before.keys() - after.keys()),
        }
        return json_response({"accounts": changes})


def create_app(world: World) -> ZendeskEmulator:
    """The WSGI app of the Zendesk emulator over ``world``."""
    return ZendeskEmulator(world)


def _order(row: dict[str, Any]) -> tuple[datetime, str]:
    return row["updated_at"], row["id"]


def _wire(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _text(v) if isinstance(v, datetime) else v for k, v in row.items()}


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"updated_since is not an ISO-8601 instant: {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _page_size(value: str | None) -> int:
    if value is None:
        return MAX_PAGE_SIZE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE_SIZE:
        raise BadRequest(f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(value)


def _encode_cursor(position: tuple[datetime, str]) -> str:
    text = json.dumps([_text(position[0]), position[1]])
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode_cursor(value: str | None) -> tuple[datetime, str] | None:
    if value is None:
        return None
    try:
        moment, key = json.loads(base64.urlsafe_b64decode(value.encode()))
        return datetime.fromisoformat(moment), str(key)
    except (ValueError, TypeError):
        raise BadRequest("cursor is not one this API gave") from None
