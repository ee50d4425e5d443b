"""Emulator of the HubSpot API: private-app bearer tokens and OAuth refresh
(``POST /oauth/v1/token``), CRM v3 objects with ``after`` paging and archived objects, the
search API (10,000 results per query, its own per-second limit), associations v4, the
properties API, form submissions, 429s with HubSpot's policy headers and bodies, and the
sandbox's admin side (``/__sandbox/``: mutate, faults, request log, expire-tokens).

Shapes and limits follow ``/work/shared/reference/source-apis.md`` section 5 and HubSpot's docs;
where the emulator had to choose (tie order in search, the search 429's headers) it says so.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from bizops_sandbox.emulator import Emulator, json_response
from bizops_sandbox.hubspot_forms import FORM_RULES, FormRoutes, conversion_id
from bizops_sandbox.hubspot_wire import (
    ASSOCIATION_TYPES,
    OBJECTS,
    CrmObject,
    SearchError,
    all_properties,
    matcher,
    records,
    sortable,
    wire,
)  # fmt: skip
from bizops_sandbox.world import World

Record = dict[str, Any]

PRIVATE_APP_TOKEN = "pat-na1-sandbox-private-app-token"  # noqa: S105 - the sandbox's fake
API_KEY = PRIVATE_APP_TOKEN  # the name the generated kit uses
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105
REFRESH_TOKEN = "sandbox-refresh-token"  # noqa: S105
TOKEN_SECONDS = 1800
LIST_LIMIT, SEARCH_LIMIT, SEARCH_CAP = 100, 200, 10_000
OBJECT_PATH = "/crm/v3/objects/<any(" + ", ".join(OBJECTS) + "):obj>"
RULES = (
    Rule("/oauth/v1/token", methods=["POST"], endpoint="token"),
    Rule(OBJECT_PATH, methods=["GET"], endpoint="list_objects"),
    Rule(OBJECT_PATH + "/<record_id>", methods=["GET"], endpoint="get_object"),
    Rule(OBJECT_PATH + "/search", methods=["POST"], endpoint="search"),
    Rule("/crm/v3/properties/<any(" + ", ".join(OBJECTS) + "):obj>", methods=["GET"],
         endpoint="properties"),
    Rule("/crm/v4/objects/<from_obj>/<record_id>/associations/<to_obj>", methods=["GET"],
         endpoint="associations"),
    Rule("/crm/v4/associations/<from_obj>/<to_obj>/batch/read", methods=["POST"],
         endpoint="associations_batch"),
    *FORM_RULES,
)  # fmt: skip


def hubspot_error(status: int, message: str, category: str, **extra: Any) -> Response:
    """HubSpot's error body: ``{"status": "error", "message", "correlationId", "category"}``."""
    body = {"status": "error", "message": message, "correlationId": _correlation(),
            "category": category, **extra}  # fmt: skip
    return json_response(body, status)


def _correlation() -> str:
    return "7d3f0c5e-" + secrets.token_hex(4) + "-4000-8000-" + secrets.token_hex(6)


class RateLimits:
    """HubSpot's limits: requests per 10 s per app, searches per second, requests per day.

    Counted on the wall clock (not the world's): a tap must pace itself by the answers.
    """

    def __init__(self, per_ten_seconds: int, search_per_second: int, daily: int) -> None:
        self.per_ten_seconds, self.search_per_second, self.daily = (
            per_ten_seconds, search_per_second, daily)  # fmt: skip
        self.used_today = 0
        self._window: deque[float] = deque()
        self._searches: deque[float] = deque()
        self._lock = threading.Lock()

    def take(self, search: bool) -> tuple[str | None, dict[str, str]]:
        """Count one request; the policy it breaks (None: none) and the headers to answer."""
        now = time.monotonic()
        with self._lock:
            _drop_before(self._window, now - 10)
            _drop_before(self._searches, now - 1)
            if self.used_today >= self.daily:
                return "DAILY", self.headers()
            if search and len(self._searches) >= self.search_per_second:
                # The search API's own limit; the emulator answers it with a one-second
                # interval header so a client knows how long to wait.
                return "SECONDLY", {"X-HubSpot-RateLimit-Interval-Milliseconds": "1000"}
            if len(self._window) >= self.per_ten_seconds:
                return "TEN_SECONDLY_ROLLING", self.headers()
            self.used_today += 1
            self._window.append(now)
            if search:
                self._searches.append(now)
            return None, self.headers()

    def headers(self) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Daily": str(self.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(self.daily - self.used_today, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(self.per_ten_seconds),
            "X-HubSpot-RateLimit-Remaining": str(max(self.per_ten_seconds - len(self._window), 0)),
        }


def _drop_before(times: deque[float], limit: float) -> None:
    while times and times[0] <= limit:
        times.popleft()


RATE_MESSAGES = {
    "DAILY": "You have reached your daily limit.",
    "SECONDLY": "You have reached your secondly limit.",
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
}


class HubspotEmulator(FormRoutes, Emulator):
    """The HubSpot API over the world.

    Args:
        world: the shared world (its HubSpot tables).
        per_ten_seconds, search_per_second, daily: the rate limits (HubSpot's for a
            Professional private app by default: 190 per 10 s, 5 searches/s, 650,000 a day).
        search_cap: results a search query may page through (HubSpot: 10,000); lower in
            tests, so a tap's windowing is exercised on a small world.
    """

    source = "hubspot"

    def __init__(self, world: World, *, per_ten_seconds: int = 190, search_per_second: int = 5,
                 daily: int = 650_000, search_cap: int = SEARCH_CAP) -> None:  # fmt: skip
        super().__init__(world, RULES)
        self.search_cap = search_cap
        self.limits = RateLimits(per_ten_seconds, search_per_second, daily)
        self._tokens: dict[str, bool] = {}  # access token -> still valid
        # Each object's records (by id) and their wire properties, as of the world's clock:
        # every mutation moves the clock, so a cached copy is current while the clock is.
        self._cache: dict[str, tuple[Any, list[tuple[Record, dict[str, Any]]]]] = {}
        # The last search of each object and its sorted matches (see _matches).
        self._searches: dict[str, tuple[Any, tuple[str, str, bool], list[Any]]] = {}
        self.redact.add(CLIENT_SECRET)
        self.redact.add(REFRESH_TOKEN)

    def _records(self, kind: CrmObject) -> list[Record]:
        return [row for row, _ in self._indexed(kind)]

    def _matches(self, kind: CrmObject, query: tuple[str, str, bool],
                 match: Any) -> list[tuple[dict[str, Any], Record]]:  # fmt: skip
        """The live records a search matches, sorted. The last query of each object is kept, so
        the pages of one query filter and sort once (a new clock gives new indexed rows, which
        the kept result is tied to by identity)."""
        indexed = self._indexed(kind)
        with self._lock:
            kept = self._searches.get(kind.name)
        if kept is not None and kept[0] is indexed and kept[1] == query:
            return kept[2]
        _, sort_by, descending = query
        rows = [(props, row) for row, props in indexed if not row["archived"] and match(props)]
        rows.sort(key=lambda pair: _sort_key(pair[0].get(sort_by)), reverse=descending)
        with self._lock:
            self._searches[kind.name] = (indexed, query, rows)
        return rows

    def _indexed(self, kind: CrmObject) -> list[tuple[Record, dict[str, Any]]]:
        """The records of ``kind`` by id, each with its wire properties (cached per clock)."""
        now = self.world.now
        with self._lock:
            cached = self._cache.get(kind.name)
        if cached is not None and cached[0] == now:
            return cached[1]
        rows = [(row, all_properties(kind, row)) for row in records(self.world, kind)]
        with self._lock:
            self._cache[kind.name] = (now, rows)
        return rows

    # -- auth and limits --------------------------------------------------------------------

    def authorize(self, request: Request) -> Response | None:
        if request.path == "/oauth/v1/token":
            return None
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        if token != PRIVATE_APP_TOKEN:
            with self._lock:
                valid = self._tokens.get(token or "")
            if valid is False:
                return hubspot_error(
                    401, "The OAuth token used to make this call expired 0 second(s) ago.",
                    "EXPIRED_AUTHENTICATION")  # fmt: skip
            if valid is None:
                return hubspot_error(
                    401, "Authentication credentials not found. This API supports OAuth 2.0 "
                    "authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                    "INVALID_AUTHENTICATION")  # fmt: skip
        policy, headers = self.limits.take(search=request.path.endswith("/search"))
        if policy is None:
            request.environ["hubspot.rate_headers"] = headers
            return None
        response = hubspot_error(429, RATE_MESSAGES[policy], "RATE_LIMITS",
                                 errorType="RATE_LIMIT", policyName=policy)  # fmt: skip
        response.headers.update(headers)
        return response

    def dispatch(self, request: Request) -> Response:
        response = super().dispatch(request)
        response.headers.update(request.environ.get("hubspot.rate_headers", {}))
        return response

    def expire_tokens(self) -> int:
        with self._lock:
            live = [t for t, valid in self._tokens.items() if valid]
            for token in live:
                self._tokens[token] = False
        return len(live)

    def vendor_error(self, status: int) -> tuple[Any, dict[str, str]]:
        if status == 429:
            body = {"status": "error", "message": RATE_MESSAGES["TEN_SECONDLY_ROLLING"],
                    "errorType": "RATE_LIMIT", "correlationId": _correlation(),
                    "policyName": "TEN_SECONDLY_ROLLING"}  # fmt: skip
            return body, self.limits.headers()
        return {"status": "error", "message": "internal error", "correlationId": _correlation(),
                "category": "INTERNAL_ERROR"}, {}  # fmt: skip

    def route_error(self, status: int) -> Response:
        return hubspot_error(status, "Resource not found", "OBJECT_NOT_FOUND")

    def token(self, request: Request) -> Response:
        """``grant_type=refresh_token`` with client id and secret -> a 30-minute access token."""
        form = request.form
        if form.get("grant_type") != "refresh_token":
            return _oauth_error("UNSUPPORTED_GRANT_TYPE", "grant_type must be refresh_token")
        if form.get("client_id") != CLIENT_ID:
            return _oauth_error("BAD_CLIENT_ID", "missing or invalid client_id")
        if form.get("client_secret") != CLIENT_SECRET:
            return _oauth_error("BAD_CLIENT_SECRET", "missing or invalid client_secret")
        if form.get("refresh_token") != REFRESH_TOKEN:
            return _oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
        access = "CJ" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access] = True
        self.redact.add(access)
        return json_response({"access_token": access, "refresh_token": REFRESH_TOKEN,
                              "expires_in": TOKEN_SECONDS, "token_type": "bearer"})  # fmt: skip

    # -- CRM v3 objects ---------------------------------------------------------------------

    def list_objects(self, request: Request, obj: str) -> Response:
        """``GET /crm/v3/objects/{obj}``: by id; ``archived=true`` lists only archived ones."""
        kind = OBJECTS[obj]
        try:
            limit = _limit(request.args.get("limit"), LIST_LIMIT, default=10)
            after = _after(request.args.get("after"))
        except ValueError as exc:
            return hubspot_error(400, str(exc), "VALIDATION_ERROR")
        archived = request.args.get("archived", "false").lower() == "true"
        rows = [r for r in self._records(kind) if r["archived"] == archived]
        rows = [r for r in rows if int(r["id"]) >= after]
        page = rows[:limit]
        body: dict[str, Any] = {"results": [wire(kind, r, _names(request)) for r in page]}
        if len(rows) > limit:
            body["paging"] = _next(str(int(page[-1]["id"]) + 1), request)
        return json_response(body)

    def get_object(self, request: Request, obj: str, record_id: str) -> Response:
        kind = OBJECTS[obj]
        archived = request.args.get("archived", "false").lower() == "true"
        for row in self._records(kind):
            if row["id"] == record_id and row["archived"] == archived:
                return json_response(wire(kind, row, _names(request)))
        return hubspot_error(404, f"Object not found.  objectId are usually numeric. {record_id}",
                             "OBJECT_NOT_FOUND")  # fmt: skip

    def search(self, request: Request, obj: str) -> Response:
        """``POST /crm/v3/objects/{obj}/search``: live records only, one sort (ties by id, the
        emulator's choice), ``after`` an offset, at most 10,000 results per query."""
        kind = OBJECTS[obj]
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return hubspot_error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        try:
            match = matcher(body.get("filterGroups", []))
            limit = _limit(body.get("limit"), SEARCH_LIMIT, default=10)
            offset = _after(body.get("after"))
            sort_by, descending = _sort(body.get("sorts"), kind)
        except (SearchError, ValueError) as exc:
            return hubspot_error(400, str(exc), "VALIDATION_ERROR")
        if offset + limit > self.search_cap:
            message = (f"There was a problem with the request. The maximum offset is "
                       f"{self.search_cap} (after={offset}, limit={limit}).")  # fmt: skip
            return hubspot_error(400, message, "VALIDATION_ERROR")
        query = (json.dumps(body.get("filterGroups", []), sort_keys=True, default=str),
                 sort_by, descending)  # fmt: skip
        rows = self._matches(kind, query, match)
        page = rows[offset : offset + limit]
        wanted = body.get("properties") or None
        answer: dict[str, Any] = {
            "total": len(rows),
            "results": [wire(kind, row, wanted, props) for props, row in page],
        }
        if offset + limit < len(rows):
            answer["paging"] = {"next": {"after": str(offset + limit)}}
        return json_response(answer)

    def properties(self, request: Request, obj: str) -> Response:
        """``GET /crm/v3/properties/{obj}``: name, label, type and field type of each."""
        kind = OBJECTS[obj]
        seen: dict[str, str] = {}
        for row in self._records(kind):
            for name, value in all_properties(kind, row).items():
                if name not in seen or seen[name] == "string":
                    seen[name] = _type(name, value)
        results = [{"name": n, "label": n.replace("_", " ").title(), "type": t,
                    "fieldType": _FIELD_TYPES[t], "groupName": f"{kind.name[:-1]}information",
                    "hubspotDefined": not n.startswith(("first_touch", "last_touch")),
                    "archived": False} for n, t in sorted(seen.items())]  # fmt: skip
        return json_response({"results": results})

    # -- associations v4 --------------------------------------------------------------------

    def associations(
        self, request: Request, from_obj: str, record_id: str, to_obj: str
    ) -> Response:
        if from_obj not in OBJECTS or to_obj not in OBJECTS:
            return hubspot_error(400, f"Unknown object type {from_obj} or {to_obj}",
                                 "VALIDATION_ERROR")  # fmt: skip
        links = self._links(OBJECTS[from_obj], OBJECTS[to_obj]).get(record_id, [])
        return json_response({"results": [_association(from_obj, to_obj, i) for i in links]})

    def associations_batch(self, request: Request, from_obj: str, to_obj: str) -> Response:
        """``{"inputs": [{"id"}]}`` -> ``{"status": "COMPLETE", "results": [{"from", "to"}]}``;
        ids without associations are left out (HubSpot lists them under ``errors``)."""
        if from_obj not in OBJECTS or to_obj not in OBJECTS:
            return hubspot_error(400, f"Unknown object type {from_obj} or {to_obj}",
                                 "VALIDATION_ERROR")  # fmt: skip
        body = request.get_json(silent=True)
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or len(inputs) > 1000:
            return hubspot_error(400, "inputs must be a list of at most 1000 {id}",
                                 "VALIDATION_ERROR")  # fmt: skip
        links = self._links(OBJECTS[from_obj], OBJECTS[to_obj])
        results = [
            {"from": {"id": str(i.get("id"))},
             "to": [_association(from_obj, to_obj, t) for t in links[str(i.get("id"))]]}
            for i in inputs if isinstance(i, dict) and str(i.get("id")) in links
        ]  # fmt: skip
        return json_response({"status": "COMPLETE", "results": results})

    def _links(self, source: CrmObject, target: CrmObject) -> dict[str, list[str]]:
        """Live ``source`` id -> live ``target`` ids, either side of the stored association."""
        live_targets = {r["id"] for r in self._records(target) if not r["archived"]}
        out: dict[str, list[str]] = {}
        for row in self._records(source):
            if not row["archived"]:
                out[row["id"]] = [i for i in row["associations"].get(target.table, [])
                                  if i in live_targets]  # fmt: skip
        for row in self._records(target):
            if row["archived"]:
                continue
            for back in row["associations"].get(source.table, []):
                if back in out and row["id"] not in out[back]:
                    out[back].append(row["id"])
        return {k: sorted(v, key=int) for k, v in out.items() if v}

    # -- admin ------------------------------------------------------------------------------

    def admin_mutate(self, request: Request) -> Response:
        """Mutate the world; answer its HubSpot changes by API object (engagements by type)."""
        answer = super().admin_mutate(request)
        if answer.status_code != 200:
            return answer
        changes = answer.get_json()
        engagements = changes.pop("engagements")
        changes["form_submissions"] = {
            verb: [conversion_id(i) for i in ids]
            for verb, ids in changes["form_submissions"].items()
        }
        kinds = {r["id"]: r["properties"]["hs_engagement_type"]
                 for r in self.world.records("engagements", source="hubspot")}  # fmt: skip
        for kind in OBJECTS.values():
            if kind.engagement is not None:
                changes[kind.name] = {
                    verb: [i for i in ids if kinds[i] == kind.engagement]
                    for verb, ids in engagements.items()
                }
        return json_response(changes)


_FIELD_TYPES = {"string": "text", "number": "number", "datetime": "date", "bool": "booleancheckbox"}


def _type(name: str, value: str | None) -> str:
    if value is None:
        return "string"
    if name.endswith(("date", "_date", "timestamp", "createdate")) and "T" in value:
        return "datetime"
    if name in ("amount",):
        return "number"
    return "string"


def _association(from_obj: str, to_obj: str, to_id: str) -> dict[str, Any]:
    type_id = ASSOCIATION_TYPES.get((from_obj, to_obj), 0)
    return {"toObjectId": int(to_id), "associationTypes": [
        {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]}  # fmt: skip


def _oauth_error(status: str, message: str) -> Response:
    return json_response({"status": status, "message": message,
                          "correlationId": _correlation()}, 400)  # fmt: skip


def _names(request: Request) -> list[str] | None:
    names = [n for v in request.args.getlist("properties") for n in v.split(",") if n]
    return names or None


def _limit(value: Any, most: int, default: int) -> int:
    if value is None:
        return default
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"limit must be a whole number, got {value!r}") from None
    if not 1 <= limit <= most:
        raise ValueError(f"limit must be between 1 and {most}, got {limit}")
    return limit


def _after(value: Any) -> int:
    if value is None or value == "":
        return 0
    text = str(value)
    if not text.isdigit():
        raise ValueError(f"after must be a paging cursor this API gave, got {text!r}")
    return int(text)


def _sort(sorts: Any, kind: CrmObject) -> tuple[str, bool]:
    if not sorts:
        return "hs_object_id", False
    if not isinstance(sorts, list) or len(sorts) != 1:
        raise SearchError("sorts takes exactly one sort")  # HubSpot sorts by one property
    sort = sorts[0]
    if isinstance(sort, str):
        return sort.lstrip("-"), sort.startswith("-")
    if not isinstance(sort, dict) or not isinstance(sort.get("propertyName"), str):
        raise SearchError("a sort needs a propertyName")
    return sort["propertyName"], sort.get("direction", "ASCENDING") == "DESCENDING"


def _sort_key(value: str | None) -> tuple[int, int, Any]:
    """Numbers and instants before text, nulls last (each compared within its kind)."""
    if value is None:
        return (1, 0, "")
    key = sortable(value)
    return (0, 1, key) if isinstance(key, str) else (0, 0, key)


def _next(after: str, request: Request) -> dict[str, Any]:
    link = f"{request.base_url}?after={after}"
    return {"next": {"after": after, "link": link}}


def create_app(world: World, **limits: int) -> HubspotEmulator:
    """The WSGI app of the HubSpot emulator over ``world``."""
    return HubspotEmulator(world, **limits)
