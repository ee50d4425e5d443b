"""Emulator of the Marketo REST, asset and bulk extract APIs over the world.

What it reproduces (``/work/shared/reference/source-apis.md`` section 4, Marketo's docs):
- ``GET /identity/oauth/token`` (client credentials) gives a bearer token for 3599 s; wrong
  credentials answer 401 ``{"error":"unauthorized",...}``. API errors come as HTTP 200 with
  ``success:false``: no token 600, an unknown token 601, an expired one 602;
- the limits: 100 calls per 20 s (606), 10 concurrent calls (615) and a daily quota (607),
  all HTTP 200 with ``success:false``;
- REST pages by ``nextPageToken`` (program members); programs by ``offset``/``maxReturn``,
  ending with the warning "No assets found for the given search criteria.";
- bulk extract for leads and activities (``sandbox/marketo_bulk.py``).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from bizops_sandbox.emulator import Emulator, json_response
from bizops_sandbox.marketo_bulk import BulkError, BulkJobs, wire
from bizops_sandbox.request_log import mark_expired_token
from bizops_sandbox.world import World
from bizops_sandbox.world_marketo import activity_types

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the sandbox's published fake secret
TOKEN_SECONDS = 3599
RATE_CALLS, RATE_SECONDS = 100, 20.0
MAX_CONCURRENT = 10
DAILY_QUOTA = 50_000
NO_ASSETS = "No assets found for the given search criteria."
BULK = "/bulk/v1/<any(leads, activities):kind>/export"
RULES = (
    Rule("/identity/oauth/token", methods=["GET"], endpoint="token"),
    Rule("/rest/v1/activities/types.json", methods=["GET"], endpoint="list_activity_types"),
    Rule("/rest/asset/v1/programs.json", methods=["GET"], endpoint="list_programs"),
    Rule(
        "/rest/v1/programs/<int:program_id>/members.json", methods=["GET"], endpoint="list_members"
    ),
    Rule("/rest/v1/stats/usage.json", methods=["GET"], endpoint="usage"),
    Rule("/rest/v1/activities/pagingtoken.json", methods=["GET"], endpoint="paging_token"),
    Rule("/rest/v1/activities/deletedleads.json", methods=["GET"], endpoint="deleted_leads"),
    Rule(f"{BULK}/create.json", methods=["POST"], endpoint="bulk_create"),
    Rule(f"{BULK}.json", methods=["GET"], endpoint="bulk_list"),
    Rule(f"{BULK}/<export_id>/enqueue.json", methods=["POST"], endpoint="bulk_enqueue"),
    Rule(f"{BULK}/<export_id>/status.json", methods=["GET"], endpoint="bulk_status"),
    Rule(f"{BULK}/<export_id>/cancel.json", methods=["POST"], endpoint="bulk_cancel"),
    Rule(f"{BULK}/<export_id>/file.json", methods=["GET"], endpoint="bulk_file"),
    Rule("/__sandbox/expire-exports", methods=["POST"], endpoint="admin_expire_exports"),
)
MEMBER_PAGE = 300


class MarketoEmulator(Emulator):
    """The Marketo API over the world."""

    source = "marketo"

    def __init__(
        self, world: World, *, daily_quota: int = DAILY_QUOTA, rate_calls: int = RATE_CALLS
    ) -> None:
        super().__init__(world, RULES)
        self.bulk = BulkJobs(world)
        self.daily_quota = daily_quota
        # Marketo's 100 calls per 20 s; a test may raise it so that a long sync runs at speed
        self.rate_calls = rate_calls
        self._tokens: dict[str, float] = {}  # token -> monotonic expiry
        self._calls: deque[float] = deque()
        self._used_today = 0
        self._active = 0
        self._limits = threading.Lock()
        self.redact.add(CLIENT_SECRET)

    # -- auth and limits ------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """Count the call against the concurrency limit while it is answered."""
        with self._limits:
            self._active += 1
        try:
            return super().dispatch(request)
        finally:
            with self._limits:
                self._active -= 1

    def token(self, request: Request) -> Response:
        args = request.args
        if args.get("grant_type") != "client_credentials":
            return json_response(
                {"error": "invalid_request", "error_description": "Bad grant type"}, 400
            )
        if args.get("client_id") != CLIENT_ID or args.get("client_secret") != CLIENT_SECRET:
            return json_response(
                {"error": "unauthorized", "error_description": "Bad client credentials"}, 401
            )
        token = f"{secrets.token_hex(16)}:ab"
        with self._limits:
            self._tokens[token] = time.monotonic() + TOKEN_SECONDS
        return json_response(
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": TOKEN_SECONDS,
                "scope": "api@bizops.example",
            }
        )

    def authorize(self, request: Request) -> Response | None:
        if request.path == "/identity/oauth/token":
            return None
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else ""
        now = time.monotonic()
        with self._limits:
            expiry = self._tokens.get(token)
            if not token:
                return failure("600", "Access token not specified")
            if expiry is None:
                return failure("601", "Access token invalid")
            if expiry <= now:
                mark_expired_token(request)
                return failure("602", "Access token expired")
            if self._active > MAX_CONCURRENT:
                return failure("615", "Concurrent access limit reached")
            while self._calls and self._calls[0] <= now - RATE_SECONDS:
                self._calls.popleft()
            if len(self._calls) >= self.rate_calls:
                return failure(
                    "606",
                    f"Max rate limit '{self.rate_calls}' exceeded with in "
                    f"'{int(RATE_SECONDS)}' secs",
                )
            if self._used_today >= self.daily_quota:
                return failure("607", "Daily quota reached")
            self._calls.append(now)
            self._used_today += 1
        return None

    def expire_tokens(self) -> int:
        with self._limits:
            for token in self._tokens:
                self._tokens[token] = 0.0
            return len(self._tokens)

    def vendor_error(self, status: int) -> tuple[Any, dict[str, str]]:
        # Marketo's gateways answer 5xx with an HTML page; its API never answers 429.
        return f"<html><body><h1>{status} Service Unavailable</h1></body></html>", {}

    def route_error(self, status: int) -> Response:
        return json_response(
            {
                "requestId": request_id(),
                "success": False,
                "errors": [
                    {"code": "404", "message": "The requested URL was not found on this server"}
                ],
            },
            status,
        )

    # -- REST -----------------------------------------------------------------------------

    def list_activity_types(self, request: Request) -> Response:
        return success(activity_types())

    def usage(self, request: Request) -> Response:
        today = self.world.now.date().isoformat()
        return success([{"date": today, "total": self._used_today, "users": []}])

    def list_programs(self, request: Request) -> Response:
        """Programs by id, ``offset``/``maxReturn`` (≤ 200, default 20), optionally those
        updated in ``[earliestUpdatedAt, latestUpdatedAt]``."""
        try:
            offset = _whole(request.args.get("offset", "0"), "offset", 0, 10**9)
            size = _whole(request.args.get("maxReturn", "20"), "maxReturn", 1, 200)
            low = _asset_time(request.args.get("earliestUpdatedAt"))
            high = _asset_time(request.args.get("latestUpdatedAt"))
        except ValueError as exc:
            return failure("701", str(exc))
        rows = [
            p
            for _, p in sorted(self.world.marketo.programs.items())
            if (low is None or p["updatedAt"] >= low) and (high is None or p["updatedAt"] <= high)
        ]
        page = rows[offset : offset + size]
        if not page:
            return json_response(
                {"success": True, "errors": [], "requestId": request_id(), "warnings": [NO_ASSETS]}
            )
        return json_response(
            {
                "success": True,
                "errors": [],
                "requestId": request_id(),
                "warnings": [],
                "result": [_program(p) for p in page],
            }
        )

    def list_members(self, request: Request, program_id: int) -> Response:
        """The members of one program, ``batchSize`` (≤ 300) at a time by ``nextPageToken``."""
        if program_id not in self.world.marketo.programs:
            return failure("1013", f"Program {program_id} not found")
        try:
            size = _whole(request.args.get("batchSize", "300"), "batchSize", 1, MEMBER_PAGE)
            after = _page_token(request.args.get("nextPageToken"))
        except ValueError as exc:
            return failure("1003", str(exc))
        rows = sorted(
            (m for (p, _), m in self.world.marketo.members.items() if p == program_id),
            key=lambda m: m["leadId"],
        )
        rows = [m for m in rows if m["leadId"] > after]
        page = rows[:size]
        body: dict[str, Any] = {
            "requestId": request_id(),
            "success": True,
            "result": [_member(m) for m in page],
        }
        if len(rows) > size:
            body["nextPageToken"] = _encode_token(page[-1]["leadId"])
        return json_response(body)

    def paging_token(self, request: Request) -> Response:
        """A paging token for activities since ``sinceDatetime`` (required)."""
        try:
            since = _asset_time(request.args.get("sinceDatetime"))
        except ValueError as exc:
            return failure("1003", str(exc))
        if since is None:
            return failure("1003", "sinceDatetime is required")
        return json_response({"requestId": request_id(), "success": True,
                              "nextPageToken": _encode_position(since, 0)})  # fmt: skip

    def deleted_leads(self, request: Request) -> Response:
        """ "Delete Lead" activities (type 37) after the position in ``nextPageToken``, oldest
        first, ``batchSize`` (≤ 300) at a time; ``moreResult`` false on the last page."""
        try:
            size = _whole(request.args.get("batchSize", "300"), "batchSize", 1, MEMBER_PAGE)
            since, after = _decode_position(request.args.get("nextPageToken"))
        except ValueError as exc:
            return failure("1003", str(exc))
        rows = sorted(
            (r["deletedAt"], r["id"], r) for r in self.world.marketo.deleted_leads.values()
        )
        rows = [r for r in rows if (r[0], r[1]) > (since, after)]  # lead ids start at 1
        page = rows[:size]
        end = (page[-1][0], page[-1][1]) if page else (since, after)
        return json_response({
            "requestId": request_id(), "success": True, "moreResult": len(rows) > size,
            "nextPageToken": _encode_position(*end),
            "result": [{"leadId": i, "activityDate": wire(at), "activityTypeId": 37,
                        "primaryAttributeValueId": i, "primaryAttributeValue": r["email"],
                        "attributes": []} for at, i, r in page],
        })  # fmt: skip

    # -- bulk extract ---------------------------------------------------------------------

    def bulk_create(self, request: Request, kind: str) -> Response:
        try:
            return success([self.bulk.create(kind, request.get_json(silent=True)).answer()])
        except BulkError as exc:
            return failure(exc.code, str(exc))

    def bulk_list(self, request: Request, kind: str) -> Response:
        jobs = self.bulk.listed(kind, request.args.getlist("status"))
        return success([job.answer() for job in jobs])

    def bulk_enqueue(self, request: Request, kind: str, export_id: str) -> Response:
        return self._job(self.bulk.enqueue, kind, export_id)

    def bulk_status(self, request: Request, kind: str, export_id: str) -> Response:
        return self._job(self.bulk.status, kind, export_id)

    def bulk_cancel(self, request: Request, kind: str, export_id: str) -> Response:
        return self._job(self.bulk.cancel, kind, export_id)

    def bulk_file(self, request: Request, kind: str, export_id: str) -> Response:
        try:
            data = self.bulk.file(kind, export_id)
        except BulkError as exc:
            return failure(exc.code, str(exc))
        if data is None:
            return json_response(
                {
                    "requestId": request_id(),
                    "success": False,
                    "errors": [
                        {
                            "code": "1003",
                            "message": f"Export {export_id} has no file (not completed or expired)",
                        }
                    ],
                },
                404,
            )
        response = Response(data, mimetype="text/csv")
        return response.make_conditional(request, accept_ranges=True, complete_length=len(data))

    def _job(self, action, kind: str, export_id: str) -> Response:
        try:
            return success([action(kind, export_id).answer()])
        except BulkError as exc:
            return failure(exc.code, str(exc))

    # -- admin ----------------------------------------------------------------------------

    def admin_expire_exports(self, request: Request) -> Response:
        """Expire every completed export's file (as seven days would)."""
        return json_response({"expired": self.bulk.expire()})

    def admin_mutate(self, request: Request) -> Response:
        """Mutate the world; answer Marketo's changes by stream (ids as strings)."""
        answer = super().admin_mutate(request)
        if answer.status_code != 200:
            return answer
        changes = json.loads(answer.get_data())
        return json_response(
            {
                stream: {k: [str(i) for i in ids] for k, ids in lists.items()}
                for stream, lists in changes.items()
            }
        )


def create_app(world: World) -> MarketoEmulator:
    """The WSGI app of the Marketo emulator over ``world``."""
    return MarketoEmulator(world)


def request_id() -> str:
    """A request id shaped like Marketo's (``e42b#14272d07d78``)."""
    return f"{secrets.token_hex(2)}#{secrets.token_hex(6)[:11]}"


def success(result: list[Any]) -> Response:
    """A successful REST answer."""
    return json_response({"requestId": request_id(), "result": result, "success": True})


def failure(code: str, message: str) -> Response:
    """A refused call: HTTP 200 with ``success:false``, as Marketo answers."""
    return json_response(
        {
            "requestId": request_id(),
            "success": False,
            "errors": [{"code": code, "message": message}],
        }
    )


def _program(program: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in program.items() if k not in ("createdAt", "updatedAt", "costs")}
    out["costs"] = [{**c, "startDate": c["startDate"].isoformat()} for c in program["costs"]]
    # the asset API writes its times with a redundant offset (2017-01-19T23:04:41Z+0000)
    out["createdAt"] = wire(program["createdAt"]) + "+0000"
    out["updatedAt"] = wire(program["updatedAt"]) + "+0000"
    return out


def _member(member: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": member["leadId"],
        "leadId": member["leadId"],
        "programId": member["programId"],
        "progressionStatus": member["progressionStatus"],
        "reachedSuccess": member["reachedSuccess"],
        "membershipDate": wire(member["membershipDate"]),
        "updatedAt": wire(member["updatedAt"]),
    }


def _whole(text: str, name: str, low: int, high: int) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"Invalid value for {name}: {text!r} (from {low} to {high})")
    return int(text)


def _asset_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    cleaned = text.replace("Z+0000", "+00:00").replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"Invalid datetime: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _encode_position(at: datetime, lead_id: int) -> str:
    text = f"{at.astimezone(UTC).strftime('%Y%m%d%H%M%S')}:{lead_id}"
    return base64.b32encode(text.encode()).decode().rstrip("=")


def _decode_position(text: str | None) -> tuple[datetime, int]:
    if not text:
        raise ValueError("nextPageToken is required (from pagingtoken.json)")
    try:
        stamp, lead = base64.b32decode(text + "=" * (-len(text) % 8)).decode().split(":")
        return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC), int(lead)
    except ValueError:
        raise ValueError("Invalid nextPageToken") from None


def _encode_token(lead_id: int) -> str:
    return base64.b32encode(f"m{lead_id}".encode()).decode().rstrip("=")


def _page_token(text: str | None) -> int:
    if text is None:
        return 0
    try:
        padded = text + "=" * (-len(text) % 8)
        return int(base64.b32decode(padded).decode()[1:])
    except ValueError:
        raise ValueError("Invalid nextPageToken") from None
