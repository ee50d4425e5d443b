"""HTTP emulator of the Salesforce APIs a tap uses (OAuth, REST describe/query, Bulk 2.0 query)."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from bizops_sandbox.emulator import AdminInputError, Emulator, admin_json, json_response
from bizops_sandbox.salesforce_format import (
    csv_cell,
    global_describe,
    is_reference,
    object_describe,
    render_csv,
    rest_records,
    short_id,
)
from bizops_sandbox.salesforce_jobs import BulkJob, Cursor, SessionStore
from bizops_sandbox.salesforce_schema import COMPOUND_TYPES, describes, field_types
from bizops_sandbox.salesforce_soql import Query, SoqlError, parse
from bizops_sandbox.world import World

DATA = "/services/data/v<version>"
RULES = (
    Rule("/services/oauth2/token", methods=["POST"], endpoint="create_token"),
    Rule("/services/data", methods=["GET"], endpoint="versions"),
    Rule(f"{DATA}/sobjects", methods=["GET"], endpoint="describe_global"),
    Rule(f"{DATA}/sobjects/<object_name>/describe", methods=["GET"], endpoint="describe_object"),
    Rule(f"{DATA}/query", methods=["GET"], endpoint="query"),
    Rule(f"{DATA}/queryAll", methods=["GET"], endpoint="query_all"),
    Rule(f"{DATA}/query/<locator>", methods=["GET"], endpoint="query_more"),
    Rule(f"{DATA}/jobs/query", methods=["POST"], endpoint="create_job"),
    Rule(f"{DATA}/jobs/query/<job_id>", methods=["GET"], endpoint="get_job"),
    Rule(f"{DATA}/jobs/query/<job_id>/results", methods=["GET"], endpoint="job_results"),
    Rule("/__sandbox/salesforce", methods=["POST"], endpoint="admin_settings"),
    Rule("/__sandbox/salesforce/sessions", methods=["DELETE"], endpoint="admin_expire_sessions"),
)
PAGE_SIZE = 2000  # REST query batch size (Salesforce's default)
BULK_PAGE = 50_000  # Bulk 2.0 rows per results page when the client sends no maxRecords
TIMEOUT_MESSAGE = "Your query request was running for too long."
# Default error bodies of faulted statuses: Salesforce's REST error list shape.
VENDOR_ERRORS = {
    400: ("QUERY_TIMEOUT", TIMEOUT_MESSAGE),
    401: ("INVALID_SESSION_ID", "Session expired or invalid"),
    403: ("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
    404: ("NOT_FOUND", "The requested resource does not exist"),
    429: ("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
    503: ("SERVER_UNAVAILABLE", "Server temporarily unavailable"),
}


def create_app(
    world: World,
    *,
    client_id: str = "sandbox-client-id",
    client_secret: str = "sandbox-client-secret",  # noqa: S107 - the sandbox's fake secret
    refresh_token: str = "sandbox-refresh-token",  # noqa: S107
    job_steps: int = 2,
    page_size: int = PAGE_SIZE,
) -> SalesforceEmulator:
    """A WSGI application serving ``world`` as a Salesforce org (login host and instance).

    Args:
        world: the data to serve.
        client_id: the connected app's consumer key.
        client_secret: the connected app's consumer secret.
        refresh_token: the refresh token the refresh_token flow accepts.
        job_steps: how many polls of a Bulk job answer InProgress before JobComplete.
        page_size: records per REST query page (Salesforce's default batch size is 2,000).
    """
    app = SalesforceEmulator(world, SessionStore(job_steps))
    app.page_size = page_size
    app.credentials = (client_id, client_secret, refresh_token)
    for secret in (client_secret, refresh_token):
        app.redact.add(secret)
    return app


class SalesforceEmulator(Emulator):
    """The Salesforce emulator; see :func:`create_app`."""

    source = "salesforce"
    credentials: tuple[str, str, str]
    page_size: int = PAGE_SIZE

    def __init__(self, world: World, store: SessionStore) -> None:
        super().__init__(world, RULES)
        self.store = store

    def dispatch(self, request: Request) -> Response:
        """Every API response carries the org's API usage, as Salesforce's do."""
        response = super().dispatch(request)
        if not request.path.startswith("/__sandbox"):
            used, limit = self.store.usage()
            response.headers["Sforce-Limit-Info"] = f"api-usage={used}/{limit}"
        return response

    # -- auth --------------------------------------------------------------------------------

    def create_token(self, request: Request) -> Response:
        form, (client_id, client_secret, refresh) = request.form, self.credentials
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "client_credentials"):
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        if form.get("client_id") != client_id:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if form.get("client_secret") != client_secret:
            return _oauth_error("invalid_client", "invalid client credentials")
        if grant == "refresh_token" and form.get("refresh_token") != refresh:
            return _oauth_error("invalid_grant", "expired access/refresh token")
        instance = request.host_url.rstrip("/")
        return json_response({
            "access_token": self.store.new_token(), "instance_url": instance,
            "id": f"{instance}/id/00D5g0000000001EAA/0055g0000000001AAA", "token_type": "Bearer",
            "issued_at": str(int(datetime.now(UTC).timestamp() * 1000)),
            "signature": base64.b64encode(secrets.token_bytes(32)).decode(), "scope": "api",
        })  # fmt: skip

    def authorize(self, request: Request) -> Response | None:
        if request.path in ("/services/oauth2/token", "/services/data"):
            return None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.store.valid(token.strip()):
            return _errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        used, limit = self.store.count_call()
        if used > limit:
            return _errors(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        return None

    def vendor_error(self, status: int) -> tuple[Any, dict[str, str]]:
        code, message = VENDOR_ERRORS.get(status, ("UNKNOWN_EXCEPTION", "An unexpected error"))
        headers = {"Retry-After": "1"} if status in (429, 503) else {}
        return [{"message": message, "errorCode": code}], headers

    def route_error(self, status: int) -> Response:
        return _errors(status, "NOT_FOUND", "The requested resource does not exist")

    # -- REST --------------------------------------------------------------------------------

    def versions(self, request: Request) -> Response:
        return json_response([{"label": "Spring '24", "url": "/services/data/v60.0",
                               "version": "60.0"}])  # fmt: skip

    def describe_global(self, request: Request, version: str) -> Response:
        return json_response(global_describe(version))

    def describe_object(self, request: Request, version: str, object_name: str) -> Response:
        if object_name not in describes():
            return _errors(404, "NOT_FOUND", "The requested resource does not exist")
        return json_response(object_describe(object_name, version))

    def query(self, request: Request, version: str) -> Response:
        return self._query(request, version, include_deleted=False)

    def query_all(self, request: Request, version: str) -> Response:
        return self._query(request, version, include_deleted=True)

    def _query(self, request: Request, version: str, *, include_deleted: bool) -> Response:
        try:
            query = self._parse(request.args.get("q", ""))
        except SoqlError as exc:
            return _errors(400, exc.code, exc.message)
        if self._times_out(query):
            return _errors(400, "QUERY_TIMEOUT", TIMEOUT_MESSAGE)
        rows = self._rows(query, include_deleted)
        locator = self.store.add_cursor(Cursor(query, rows)) if len(rows) > self.page_size else ""
        return self._page(version, query, rows, locator, 0)

    def query_more(self, request: Request, version: str, locator: str) -> Response:
        cursor_id, _, offset = locator.rpartition("-")
        cursor = self.store.cursor(cursor_id)
        if cursor is None or not offset.isdigit():
            return _errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(version, cursor.query, cursor.rows, cursor_id, int(offset))

    def _page(self, version: str, query: Query, rows, locator: str, offset: int) -> Response:
        end = offset + self.page_size
        body: dict[str, Any] = {"totalSize": len(rows), "done": end >= len(rows)}
        if end < len(rows):
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
        body["records"] = rest_records(query.object_name, query.fields, rows[offset:end], version)
        return json_response(body)

    def _parse(self, text: str) -> Query:
        if not text.strip():
            raise SoqlError("MALFORMED_QUERY", "unexpected end of query (empty query)")
        query = parse(text)
        if query.object_name in self.store.denied_objects:
            # What a profile without read access on the object gets: the object is invisible.
            raise SoqlError("INVALID_TYPE", f"sObject type '{query.object_name}' is not supported.")
        return query

    def _rows(self, query: Query, include_deleted: bool) -> list[dict[str, Any]]:
        records = self.world.records(query.object_name, "salesforce")
        if not include_deleted:
            records = [r for r in records if not r.get("IsDeleted")]
        return query.run(records)

    def _times_out(self, query: Query) -> bool:
        limit = self.store.query_timeout_days
        if limit is None:
            return False
        lower, upper = None, self.world.now
        for name, op, value in query.conditions:
            if field_types(query.object_name)[name] == "datetime" and value is not None:
                if op in (">", ">="):
                    lower = value
                elif op in ("<", "<="):
                    upper = min(upper, value)
        return lower is None or (upper - lower).total_seconds() > limit * 86400

    # -- Bulk API 2.0 ------------------------------------------------------------------------

    def create_job(self, request: Request, version: str) -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or data.get("operation") not in ("query", "queryAll"):
            return _errors(400, "INVALIDJOB", "operation must be query or queryAll")
        try:
            query = self._parse(str(data.get("query") or ""))
        except SoqlError as exc:
            return _errors(400, exc.code, exc.message)
        types = field_types(query.object_name)
        if any(types[name] in COMPOUND_TYPES for name in query.fields):
            return _errors(400, "API_ERROR", "Selecting compound data not supported in Bulk Query")
        include_deleted = data["operation"] == "queryAll"
        job = BulkJob(
            "7505g" + secrets.token_hex(7).upper(), data["operation"], data["query"], query,
            self._rows(query, include_deleted), self.world.now,
        )  # fmt: skip
        if self._times_out(query):
            job.rows, job.error = [], f"QUERY_TIMEOUT: {TIMEOUT_MESSAGE}"
        self.store.add_job(job)
        return json_response(job.json(version))

    def get_job(self, request: Request, version: str, job_id: str) -> Response:
        job = self.store.poll(job_id)
        if job is None:
            return _errors(404, "NOT_FOUND", f"Job {job_id} not found")
        return json_response(job.json(version))

    def job_results(self, request: Request, version: str, job_id: str) -> Response:
        job = self.store.jobs.get(job_id)
        if job is None:
            return _errors(404, "NOT_FOUND", f"Job {job_id} not found")
        if job.state != "JobComplete":
            return _errors(400, "INVALIDJOBSTATE", f"Job is not complete: {job.state}")
        try:
            offset = int(base64.b64decode(request.args.get("locator") or "MA==").decode())
            size = int(request.args.get("maxRecords") or BULK_PAGE)
        except ValueError:
            return _errors(400, "INVALID_LOCATOR", "invalid locator or maxRecords")
        page = job.rows[offset : offset + size]
        end = offset + len(page)
        locator = base64.b64encode(str(end).encode()).decode() if end < len(job.rows) else "null"
        content = render_csv(job.query.fields, page, self._cell(job.query.object_name))
        headers = {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(page))}
        return Response(content, headers=headers, mimetype="text/csv")

    def _cell(self, object_name: str):
        if not self.store.short_ids:
            return lambda name, value: csv_cell(value)
        # Sandbox setting: reference fields as 15-character ids, the case-sensitive form that
        # Salesforce shows in reports, formula fields and older exports.
        refs = {n for n in field_types(object_name) if n != "Id" and is_reference(object_name, n)}
        return lambda name, value: csv_cell(short_id(value) if name in refs else value)

    # -- admin ---------------------------------------------------------------------------------

    def admin_settings(self, request: Request) -> Response:
        data = admin_json(request)
        known = {"api_used", "api_max", "query_timeout_days", "denied_objects", "short_ids"}
        if not isinstance(data, dict) or set(data) - known:
            raise AdminInputError(f"the body must be a JSON object with keys among {sorted(known)}")
        store = self.store
        with store.lock:
            for key, value in data.items():
                setattr(store, key, set(value) if key == "denied_objects" else value)
            current = {k: getattr(store, k) for k in sorted(known)}
        current["denied_objects"] = sorted(current["denied_objects"])
        return json_response(current)

    def admin_expire_sessions(self, request: Request) -> Response:
        self.expire_tokens()
        return Response(status=204)

    def expire_tokens(self) -> int:
        with self.store.lock:
            count = len(self.store.tokens)
            self.store.tokens.clear()
        return count


def _errors(status: int, code: str, message: str) -> Response:
    return json_response([{"message": message, "errorCode": code}], status)


def _oauth_error(error: str, description: str) -> Response:
    # Salesforce's token endpoint answers every refused grant with 400 (not 401).
    return json_response({"error": error, "error_description": description}, 400)
