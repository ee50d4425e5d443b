"""Emulator of the Zendesk Support API (``/api/v2``) over the world's Zendesk side.

Auth: API token basic auth (``{email}/token:{api_token}``) or an OAuth bearer token, refreshed
at ``POST /oauth/tokens``; wrong credentials get 401 ``Couldn't authenticate you`` and a
restricted user 403 with Zendesk's body. Data: cursor-based incremental exports of tickets
(``include=metric_sets`` side-loads ticket metrics) and users, time-based exports of
organizations and ticket metric events, satisfaction ratings and deleted tickets as cursor-paged
lists. Optional limit on the incremental endpoints (Zendesk: 10 a minute) answered 429 with an
integer ``Retry-After``. See :mod:`bizops_sandbox.zendesk_export` for the paging rules.
"""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from bizops_sandbox import zendesk_export as export
from bizops_sandbox.emulator import Emulator, json_response
from bizops_sandbox.world import World
from bizops_sandbox.world_zendesk import STREAMS, views

EMAIL = "admin@bizops.example"
API_TOKEN = "sandbox-zendesk-api-token"  # noqa: S105 - the sandbox's own fake credential
RESTRICTED_EMAIL = "light.agent@bizops.example"  # authenticates, may read nothing: 403
CLIENT_ID = "bizops_sandbox"
CLIENT_SECRET = "sandbox-zendesk-client-secret"  # noqa: S105
ACCESS_TOKEN = "sandbox-zendesk-access-token"  # noqa: S105 - the first token issued
REFRESH_TOKEN = "sandbox-zendesk-refresh-token"  # noqa: S105
LIST_PAGE = 100
UNAUTHENTICATED = {"error": "Couldn't authenticate you"}
INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": "The access token provided is expired, revoked, malformed or invalid "
    "for other reasons.",
}
FORBIDDEN = {
    "error": {
        "title": "Forbidden",
        "message": "Access to this resource is restricted. Please contact the account "
        "administrator for assistance.",
    }
}
RATE_LIMITED = {
    "error": "APIRateLimitExceeded",
    "description": "Number of allowed incremental export API requests per minute exceeded",
}
INCREMENTAL = "/api/v2/incremental/"
RULES = (
    Rule("/api/v2/incremental/tickets/cursor.json", endpoint="tickets_cursor"),
    Rule("/api/v2/incremental/users/cursor.json", endpoint="users_cursor"),
    Rule("/api/v2/incremental/organizations.json", endpoint="organizations_time"),
    Rule("/api/v2/incremental/ticket_metric_events.json", endpoint="metric_events_time"),
    Rule("/api/v2/satisfaction_ratings.json", endpoint="satisfaction_ratings"),
    Rule("/api/v2/deleted_tickets.json", endpoint="deleted_tickets"),
    Rule("/api/v2/oauth/tokens/current.json", endpoint="current_token"),
    Rule("/oauth/tokens", methods=["POST"], endpoint="refresh_token"),
)
# the time field each export pages by
MOMENTS = {
    "tickets": "updated_at", "users": "updated_at", "organizations": "updated_at",
    "ticket_metric_events": "time",
}  # fmt: skip


class ZendeskEmulator(Emulator):
    """The Zendesk Support API over the world.

    Args:
        world: the shared world.
        export_limit_per_minute: enforce Zendesk's limit on the incremental endpoints (real
            time, a sliding minute); None (the default) enforces none, so that test suites
            making many syncs do not wait out minutes.
    """

    # The world changes through its Salesforce side and the clock; admin_mutate answers with
    # this API's own changes.
    source = "salesforce"
    # POST /oauth/tokens answers a new pair and the old refresh token stops working.
    rotates_refresh_tokens = True

    def __init__(self, world: World, export_limit_per_minute: int | None = None) -> None:
        super().__init__(world, RULES)
        self.limit = None if export_limit_per_minute is None else export.RateLimit(
            export_limit_per_minute
        )  # fmt: skip
        self._tokens = {ACCESS_TOKEN}
        self._refresh = {REFRESH_TOKEN}
        self._token_lock = threading.Lock()
        self._indexes: tuple[dict[str, Any], dict[str, Any]] | None = None
        self.redact.add(CLIENT_SECRET)

    # -- auth -------------------------------------------------------------------------------

    def authorize(self, request: Request) -> Response | None:
        if request.path == "/oauth/tokens":
            return None  # the client authenticates in the body
        refused = self._credentials(request)
        if refused is not None:
            return refused
        if self.limit is not None and request.path.startswith(INCREMENTAL):
            wait = self.limit.check()
            if wait:
                return json_response(RATE_LIMITED, 429, {"Retry-After": str(wait)})
        return None

    def _credentials(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            with self._token_lock:
                known = header.removeprefix("Bearer ") in self._tokens
            return None if known else json_response(INVALID_TOKEN, 401)
        auth = request.authorization
        if auth is None or auth.type != "basic" or auth.password != API_TOKEN:
            return json_response(UNAUTHENTICATED, 401)
        if auth.username == f"{RESTRICTED_EMAIL}/token":
            return json_response(FORBIDDEN, 403)
        if auth.username != f"{EMAIL}/token":
            return json_response(UNAUTHENTICATED, 401)
        return None

    def expire_tokens(self) -> int:
        with self._token_lock:
            count = len(self._tokens)
            self._tokens.clear()
            return count

    def refresh_token(self, request: Request) -> Response:
        """``POST /oauth/tokens`` (grant_type refresh_token): a new token pair; the old pair
        stops working."""
        body = request.get_json(silent=True) or {}
        client_ok = body.get("client_id") == CLIENT_ID and body.get("client_secret") == (
            CLIENT_SECRET
        )
        with self._token_lock:
            if body.get("grant_type") != "refresh_token" or not client_ok or (
                body.get("refresh_token") not in self._refresh
            ):  # fmt: skip
                error = {"error": "invalid_grant", "error_description": "The provided "
                         "authorization grant is invalid, expired, or revoked."}  # fmt: skip
                return json_response(error, 400)
            self._refresh.discard(body["refresh_token"])
            access, refresh = secrets.token_hex(16), secrets.token_hex(16)
            self._tokens.add(access)
            self._refresh.add(refresh)
            self.redact.add(access)
            self.redact.add(refresh)
        answer = {"access_token": access, "refresh_token": refresh, "token_type": "bearer",
                  "scope": "read", "expires_in": 172800}  # fmt: skip
        return json_response(answer)

    def current_token(self, request: Request) -> Response:
        """``GET /api/v2/oauth/tokens/current.json``: the token's metadata."""
        expires = self.world.now + timedelta(days=2)
        token = {"id": 1, "client_id": CLIENT_ID, "scopes": ["read"],
                 "expires_at": expires.isoformat().replace("+00:00", "Z")}  # fmt: skip
        return json_response({"token": token})

    def vendor_error(self, status: int) -> tuple[Any, dict[str, str]]:
        if status == 429:
            return RATE_LIMITED, {"Retry-After": "1"}
        if status == 401:
            return UNAUTHENTICATED, {}
        if status == 403:
            return FORBIDDEN, {}
        return {"error": "ServerError", "description": f"sandbox fault {status}"}, {}

    def route_error(self, status: int) -> Response:
        return json_response({"error": "InvalidEndpoint", "description": "Not found"}, status)

    # -- data -------------------------------------------------------------------------------

    def _built(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The current views and the indexes over them (built once per clock, on first use)."""
        data = views(self.world)
        with self._token_lock:
            if self._indexes is None or self._indexes[0] is not data:
                self._indexes = (data, {})
            return self._indexes

    def _index(self, stream: str) -> export.Index:
        data, built = self._built()
        with self._token_lock:
            if stream not in built:
                field = MOMENTS[stream]
                built[stream] = export.Index.of(data[stream], lambda r: r[field])
            return built[stream]

    def _metrics_by_ticket(self) -> dict[int, dict[str, Any]]:
        data, built = self._built()
        with self._token_lock:
            if "metrics" not in built:
                built["metrics"] = {m["ticket_id"]: m for m in data["ticket_metrics"]}
            return built["metrics"]

    def tickets_cursor(self, request: Request) -> Response:
        """Cursor-based incremental ticket export (``include=metric_sets`` side-loads)."""
        return self._cursor_export(request, "tickets")

    def users_cursor(self, request: Request) -> Response:
        """Cursor-based incremental user export."""
        return self._cursor_export(request, "users")

    def _cursor_export(self, request: Request, stream: str) -> Response:
        now, args = self.world.now, request.args
        try:
            size = export.page_size(args.get("per_page"), default=export.EXPORT_PAGE,
                                    maximum=export.EXPORT_PAGE, name="per_page")  # fmt: skip
            cursor = args.get("cursor")
            start = 0.0 if cursor else export.start_time(args.get("start_time"), now)
            page, after, done = export.cursor_page(
                self._index(stream), start=start, cursor=cursor, size=size, now=now
            )
        except export.BadParameter as exc:
            return _invalid(str(exc))
        kept = {k: args[k] for k in ("per_page", "include") if k in args}
        query = {"cursor": after, **kept}
        body: dict[str, Any] = {
            stream: [export.wire(r) for r in page],
            "after_url": f"{request.base_url}?{urlencode(query)}",
            "after_cursor": after, "before_url": None, "before_cursor": None,
            "end_of_stream": done,
        }  # fmt: skip
        if stream == "tickets" and "metric_sets" in args.get("include", "").split(","):
            metrics = self._metrics_by_ticket()
            body["metric_sets"] = [
                export.wire(metrics[r["id"]]) for r in page if r["id"] in metrics
            ]
        return json_response(body)

    def organizations_time(self, request: Request) -> Response:
        """Time-based incremental organization export."""
        return self._time_export(request, "organizations")

    def metric_events_time(self, request: Request) -> Response:
        """Time-based incremental ticket metric event export."""
        return self._time_export(request, "ticket_metric_events")

    def _time_export(self, request: Request, stream: str) -> Response:
        now = self.world.now
        try:
            start = export.start_time(request.args.get("start_time"), now)
        except export.BadParameter as exc:
            return _invalid(str(exc))
        page, end_time, done = export.time_page(self._index(stream), start=start, now=now)
        return json_response({
            stream: [export.wire(r) for r in page],
            "next_page": None if done else f"{request.base_url}?start_time={end_time}",
            "count": len(page), "end_time": end_time, "end_of_stream": done,
        })  # fmt: skip

    def satisfaction_ratings(self, request: Request) -> Response:
        """Satisfaction ratings by id, cursor-paged; ``start_time``/``end_time`` (epoch
        seconds, inclusive) filter on ``updated_at``."""
        rows = views(self.world)["satisfaction_ratings"]
        try:
            low = _epoch_arg(request, "start_time")
            high = _epoch_arg(request, "end_time")
        except export.BadParameter as exc:
            return _invalid(str(exc))
        rows = [
            r for r in rows
            if (low is None or r["updated_at"].timestamp() >= low)
            and (high is None or r["updated_at"].timestamp() <= high)
        ]  # fmt: skip
        return self._list_page(request, "satisfaction_ratings", rows)

    def deleted_tickets(self, request: Request) -> Response:
        """Tickets deleted in the last 30 days, by id, cursor-paged."""
        data, now = views(self.world), self.world.now
        rows = [
            {"id": t["id"], "subject": t["subject"], "description": None,
             "actor": {"id": t["assignee_id"], "name": None}, "deleted_at": t["updated_at"],
             "previous_state": "new"}
            for t in data["tickets"]
            if t["status"] == "deleted" and t["updated_at"] >= now - timedelta(days=30)
        ]  # fmt: skip
        return self._list_page(request, "deleted_tickets", rows)

    def _list_page(self, request: Request, name: str, rows: list[dict[str, Any]]) -> Response:
        """A list endpoint's page: ``page[size]`` (≤ 100) and ``page[after]`` (an id cursor)."""
        try:
            size = export.page_size(request.args.get("page[size]"), default=LIST_PAGE,
                                    maximum=LIST_PAGE, name="page[size]")  # fmt: skip
            after = request.args.get("page[after]")
            start = export.decode_cursor(after)[1] if after else None
        except export.BadParameter as exc:
            return _invalid(str(exc))
        if start is not None:
            rows = [r for r in rows if r["id"] > start]
        page = rows[:size]
        more = len(rows) > size
        last = export.encode_cursor((0, page[-1]["id"])) if page else None
        return json_response({
            name: [export.wire(r) for r in page],
            "meta": {"has_more": more, "after_cursor": last, "before_cursor": None},
            "links": {"prev": None, "next": (
                f"{request.base_url}?page%5Bsize%5D={size}&page%5Bafter%5D={last}" if more else None
            )},
        })  # fmt: skip

    # -- admin ------------------------------------------------------------------------------

    def admin_mutate(self, request: Request) -> Response:
        """Mutate the world; answer ``{stream: {"created", "updated", "deleted"}}`` with the ids
        the exports and lists show changed (a change in the last minute shows on a later mutate;
        a ticket is deleted when its status becomes ``deleted``)."""
        before = self._visible()
        answer = super().admin_mutate(request)
        if answer.status_code != 200:
            return answer
        after = self._visible()
        changes: dict[str, dict[str, list[int]]] = {}
        for stream in STREAMS:
            old, new = before[stream], after[stream]
            changed = [i for i in old.keys() & new.keys() if old[i] != new[i]]
            created = list(new.keys() - old.keys())
            gone = [i for i in (*created, *changed) if new[i].get("status") == "deleted"]
            changes[stream] = {
                "created": sorted(set(created) - set(gone)),
                "updated": sorted(set(changed) - set(gone)),
                "deleted": sorted(gone),
            }
        return json_response(changes)

    def _visible(self) -> dict[str, dict[int, dict[str, Any]]]:
        """What each stream's endpoint shows now, by id (exports leave out the last minute)."""
        data, now = views(self.world), self.world.now
        cut = now - timedelta(seconds=export.HIDDEN_SECONDS)
        shown: dict[str, dict[int, dict[str, Any]]] = {}
        for stream in STREAMS:
            field = MOMENTS.get(stream)
            shown[stream] = {r["id"]: r for r in data[stream] if field is None or r[field] <= cut}
        # metric sets come side-loaded with their tickets
        shown["ticket_metrics"] = {
            i: m for i, m in shown["ticket_metrics"].items() if m["ticket_id"] in shown["tickets"]
        }
        return shown


def create_app(world: World, export_limit_per_minute: int | None = None) -> ZendeskEmulator:
    """The WSGI app of the Zendesk emulator over ``world``."""
    return ZendeskEmulator(world, export_limit_per_minute)


def _invalid(description: str) -> Response:
    return json_response({"error": "InvalidValue", "description": description}, 400)


def _epoch_arg(request: Request, name: str) -> float | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise export.BadParameter(f"{name} is not a Unix epoch time: {value!r}") from None
