"""HTTP emulator of the Zuora REST API (OAuth, describe, REST export, AQuA) over the world."""

from __future__ import annotations

import hmac
import secrets
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from bizops_sandbox.emulator import AdminInputError, Emulator, admin_object, json_response
from bizops_sandbox.world import World
from bizops_sandbox.zoql import ZoqlError, parse
from bizops_sandbox.zuora_aqua import AquaRequestError, AquaStore, job_json
from bizops_sandbox.zuora_export import ExportJob, ExportStore, bind, format_value, render_csv
from bizops_sandbox.zuora_schema import describe_all_xml, describe_object_xml, schemas

RULES = (
    Rule("/oauth/token", methods=["POST"], endpoint="create_token"),
    Rule("/v1/describe", methods=["GET"], endpoint="describe_all"),
    Rule("/v1/describe/<object_name>", methods=["GET"], endpoint="describe_object"),
    Rule("/v1/object/export", methods=["POST"], endpoint="create_export"),
    Rule("/v1/object/export/<job_id>", methods=["GET"], endpoint="get_export"),
    Rule("/v1/files/<file_id>", methods=["GET"], endpoint="get_file"),
    Rule("/v1/batch-query/", methods=["POST"], endpoint="create_aqua_job"),
    Rule("/v1/batch-query/jobs/<job_id>", methods=["GET"], endpoint="get_aqua_job"),
    Rule("/v1/batch-query/jobs/<job_id>", methods=["DELETE"], endpoint="delete_aqua_job"),
    Rule("/v1/file/<file_id>", methods=["GET"], endpoint="get_aqua_file"),
    # Zuora-only admin side (the shared one lives in emulator.py).
    Rule("/__sandbox/zuora/fail-jobs", methods=["POST"], endpoint="admin_fail_jobs"),
    Rule("/__sandbox/zuora/forbid", methods=["POST"], endpoint="admin_forbid"),
    Rule("/__sandbox/zuora/expire-tokens", methods=["POST"], endpoint="admin_expire_tokens"),
    Rule("/__sandbox/zuora/expire-files", methods=["POST"], endpoint="admin_expire_files"),
)
# REST export ends a failed job as Failed/Cancelled, AQuA as error/aborted.
REST_FAILURES = {"error": "Failed", "aborted": "Cancelled"}
XML = "application/xml"
# Zuora's edge answers rate limits and bad credentials with a bare {"message": ...} and the
# IETF draft RateLimit-* headers (documented in "Rate and concurrent request limits").
RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": "50000",
    "RateLimit-Remaining": "0",
    "RateLimit-Reset": "1",
}


def create_app(
    world: World,
    *,
    client_id: str = "sandbox-client-id",
    client_secret: str = "sandbox-client-secret",  # noqa: S107 - the sandbox's fake secret
    job_steps: int = 2,
    tenant_timezone: str = "America/Los_Angeles",
    segment_rows: int = 50_000,
) -> ZuoraEmulator:
    """A WSGI application that serves ``world`` as a Zuora tenant.

    Args:
        world: the data to serve.
        client_id: the OAuth client id (also accepted as the ``apiAccessKeyId`` header).
        client_secret: the OAuth client secret (also the ``apiSecretAccessKey`` header).
        job_steps: how many polls of an export answer Pending/Processing before Completed.
        tenant_timezone: IANA zone the tenant renders datetimes in (CSV and job times); AQuA's
            ``incrementalTime`` is read in it too.
        segment_rows: rows per AQuA file; a larger result comes as several ``segments``.
    """
    emulator = ZuoraEmulator(world, client_id, client_secret, job_steps, ZoneInfo(tenant_timezone))
    emulator.aqua = AquaStore(job_steps, segment_rows, emulator.tz)
    return emulator


class ZuoraEmulator(Emulator):
    """The Zuora emulator; see :func:`create_app`."""

    def __init__(
        self, world: World, client_id: str, client_secret: str, job_steps: int, tz: ZoneInfo
    ) -> None:
        super().__init__(world, RULES)
        self.client_id = client_id
        self.client_secret = client_secret
        self.redact.add(client_secret)
        self.tz = tz
        self.exports = ExportStore(job_steps)
        self.aqua = AquaStore(job_steps, 50_000, tz)
        self.forbidden: set[str] = set()
        self._failures: list[tuple[str, str]] = []
        self._tokens: set[str] = set()
        self._tokens_lock = threading.Lock()
        self._scope = f"user.{secrets.token_hex(16)} entity.{secrets.token_hex(16)} tenant.9999"

    # -- auth --------------------------------------------------------------------------------

    def create_token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return json_response({
                "error": "unsupported_grant_type",
                "error_description": f"Unsupported grant type: {form.get('grant_type')}",
            }, 400)  # fmt: skip
        if not self._valid(form.get("client_id"), form.get("client_secret")):
            # Zuora's OAuth server (Spring Security OAuth: note the jti) on bad credentials.
            return json_response(
                {"error": "invalid_client", "error_description": "Bad client credentials"}, 401
            )
        token = secrets.token_hex(16)
        with self._tokens_lock:
            self._tokens.add(token)
        return json_response({
            "access_token": token, "token_type": "bearer", "expires_in": 3599,
            "scope": self._scope, "jti": secrets.token_hex(16),
        })  # fmt: skip

    def authorize(self, request: Request) -> Response | None:
        if request.path == "/oauth/token":
            return None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            with self._tokens_lock:
                if token.strip() in self._tokens:
                    return None
        headers = request.headers
        if self._valid(headers.get("apiAccessKeyId"), headers.get("apiSecretAccessKey")):
            return None
        return json_response({"message": "Authentication error"}, 401)

    def _valid(self, client_id: str | None, client_secret: str | None) -> bool:
        id_ok = hmac.compare_digest((client_id or "").encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest((client_secret or "").encode(), self.client_secret.encode())
        return id_ok and secret_ok

    # -- errors ------------------------------------------------------------------------------

    def vendor_error(self, status: int) -> tuple[Any, dict[str, str]]:
        if status == 429:
            return {"message": "API rate limit exceeded"}, {
                **RATE_LIMIT_HEADERS,
                "Retry-After": "1",
            }
        if status == 401:
            return {"message": "Authentication error"}, {}
        # v1 error codes end in a category: 10 permission, 40 not found, 60 internal error.
        category, message = {403: (10, "Permission denied"), 404: (40, "Not found")}.get(
            status, (60, "Internal Server Error")
        )
        return _reasons(50000000 + category, message), {}

    def route_error(self, status: int) -> Response:
        return json_response({"message": "no Route matched with those values"}, status)

    # -- describe ----------------------------------------------------------------------------

    def describe_all(self, request: Request) -> Response:
        return Response(describe_all_xml(request.host_url.rstrip("/")), mimetype=XML)

    def describe_object(self, request: Request, object_name: str) -> Response:
        if object_name not in schemas():
            return json_response(_reasons(50000040, f"Object {object_name} is not found"), 404)
        body = describe_object_xml(object_name, request.host_url.rstrip("/"))
        return Response(body, mimetype=XML)

    # -- export ------------------------------------------------------------------------------

    def create_export(self, request: Request) -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict) or not isinstance(data.get("Query"), str):
            return _crud_error("MISSING_REQUIRED_VALUE", "Query is required", 400)
        fmt = data.get("Format", "csv")
        if not isinstance(fmt, str) or fmt.lower() != "csv":
            return _crud_error("INVALID_VALUE", f"invalid value for Format: {fmt}", 400)
        try:
            bound = bind(data["Query"], self.tz)
        except ZoqlError as exc:
            return _crud_error(exc.code, exc.message, 400)
        if bound.object_name in self.forbidden:
            return self._forbidden(bound.object_name)
        rows = bound.run(self.world.records(bound.object_name))
        content = render_csv(bound, rows, self.tz)
        failure = self._take_failure()
        if failure is not None:
            failure = (REST_FAILURES.get(failure[0], failure[0]), failure[1])
        job = self.exports.create(data["Query"], fmt, content, len(rows), self.world.now, failure)
        return json_response({"Success": True, "Id": job.id})

    def get_export(self, request: Request, job_id: str) -> Response:
        job = self.exports.poll(job_id, self.world.now)
        if job is None:
            return _crud_error("INVALID_ID", f"invalid id: {job_id}", 404)
        return json_response(self._job_json(job))

    def _job_json(self, job: ExportJob) -> dict[str, Any]:
        # Zuora's CRUD responses leave out fields without a value (FileId, Size until done).
        body: dict[str, Any] = {
            "Id": job.id, "Name": f"export-{job.id[:8]}", "Status": job.status,
            "Query": job.query, "Format": job.format, "Encoding": "UTF8", "Zip": False,
            "CreatedById": self.client_id, "CreatedDate": self._time(job.created),
            "UpdatedById": self.client_id, "UpdatedDate": self._time(job.updated),
        }  # fmt: skip
        if job.status == "Completed":
            body.update(FileId=job.file_id, Size=job.size)
        if job.failure is not None and job.status == job.failure[0]:
            body["StatusReason"] = job.failure[1]
        return body

    def _time(self, moment: datetime) -> str:
        return format_value(moment, self.tz)

    def get_file(self, request: Request, file_id: str) -> Response:
        content = self.exports.files.get(file_id)
        if content is None:
            return json_response(_reasons(50000040, f"File {file_id} is not found"), 404)
        return Response(content, mimetype="text/csv")

    # -- AQuA --------------------------------------------------------------------------------

    def create_aqua_job(self, request: Request) -> Response:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return json_response({"errorCode": "INVALID_VALUE", "message": "invalid JSON body"})
        for query in data.get("queries") or []:
            name = _object_of(query)
            if name in self.forbidden:
                return self._forbidden(name)
        try:
            job = self.aqua.create(data, self.world, self._take_failure())
        except AquaRequestError as exc:
            # AQuA refuses a job with HTTP 200 and an error body (seen in singer-io tap-zuora,
            # which treats any `message` in the answer as a failure).
            return json_response({"errorCode": exc.code, "message": exc.message})
        return json_response(job_json(job, self.tz))

    def get_aqua_job(self, request: Request, job_id: str) -> Response:
        job = self.aqua.poll(job_id)
        if job is None:
            return json_response(_reasons(50000040, f"Job {job_id} is not found"), 404)
        return json_response(job_json(job, self.tz))

    def delete_aqua_job(self, request: Request, job_id: str) -> Response:
        job = self.aqua.abort(job_id)
        if job is None:
            return json_response(_reasons(50000040, f"Job {job_id} is not found"), 404)
        return json_response(job_json(job, self.tz))

    def get_aqua_file(self, request: Request, file_id: str) -> Response:
        content = self.aqua.files.get(file_id)
        if content is None:
            # Zuora deletes AQuA files after 7 days; a stale file id then answers 404.
            return json_response(_reasons(50000040, f"File {file_id} is not found"), 404)
        return Response(content, mimetype="text/csv")

    # -- faults of this emulator -------------------------------------------------------------

    def _forbidden(self, object_name: str) -> Response:
        # An API user whose role lacks the object's permission (category 10 = permission).
        message = f"You do not have permission to access {object_name}"
        return json_response(_reasons(50000010, message), 403)

    def _take_failure(self) -> tuple[str, str] | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def admin_fail_jobs(self, request: Request) -> Response:
        """Make the next ``times`` jobs (either API) end in ``status`` with ``message``."""
        data = admin_object(request)
        status, times = data.get("status", "error"), data.get("times", 1)
        if status not in REST_FAILURES or not isinstance(data.get("message", ""), str):
            raise AdminInputError("'status' must be error or aborted and 'message' a string")
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise AdminInputError("'times' must be an integer >= 1")
        message = data.get("message") or f"The job was {status} by the sandbox"
        with self._lock:
            self._failures.extend([(status, message)] * times)
        return json_response({"queued": len(self._failures)}, 201)

    def admin_forbid(self, request: Request) -> Response:
        """Refuse exports of the listed objects with Zuora's permission error (403)."""
        objects = admin_object(request).get("objects")
        if not isinstance(objects, list) or not all(isinstance(o, str) for o in objects):
            raise AdminInputError("'objects' must be a list of object names")
        self.forbidden = set(objects)
        return json_response({"forbidden": sorted(self.forbidden)})

    def admin_expire_tokens(self, request: Request) -> Response:
        """Expire every OAuth token issued so far (the next call with one gets 401)."""
        return json_response({"expired": self.expire_tokens()})

    def expire_tokens(self) -> int:
        with self._tokens_lock:
            count = len(self._tokens)
            self._tokens.clear()
        return count

    def admin_expire_files(self, request: Request) -> Response:
        """Delete every export and AQuA file (as Zuora does after 7 days)."""
        return json_response({"expired": self.exports.files.expire() + self.aqua.files.expire()})


def _object_of(query: Any) -> str | None:
    """The object an AQuA query reads, or None when it does not parse (the job reports it)."""
    text = query.get("query") if isinstance(query, dict) else None
    try:
        return parse(str(text)).source if text else None
    except ZoqlError:
        return None


def _reasons(code: int, message: str) -> dict[str, Any]:
    """The error body of Zuora's v1 API: success, processId and code/message reasons."""
    return {
        "success": False,
        "processId": secrets.token_hex(8).upper(),
        "reasons": [{"code": code, "message": message}],
    }


def _crud_error(code: str, message: str, status: int) -> Response:
    """The error body of Zuora's CRUD (``/v1/object/...``) operations."""
    return json_response({"Success": False, "Errors": [{"Code": code, "Message": message}]}, status)
