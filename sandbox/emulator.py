"""What every emulator shares: route dispatch, the admin side, the request log and faults."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from bizops_core.redact import Redactor
from bizops_sandbox import request_log
from bizops_sandbox.world import World

log = logging.getLogger(__name__)

ADMIN_RULES = (
    Rule("/__sandbox/health", methods=["GET"], endpoint="admin_health"),
    Rule("/__sandbox/mutate", methods=["POST"], endpoint="admin_mutate"),
    Rule("/__sandbox/requests", methods=["GET"], endpoint="admin_requests"),
    Rule("/__sandbox/requests", methods=["DELETE"], endpoint="admin_clear_requests"),
    Rule("/__sandbox/faults", methods=["POST"], endpoint="admin_add_fault"),
    Rule("/__sandbox/faults", methods=["DELETE"], endpoint="admin_clear_faults"),
    Rule("/__sandbox/expire-tokens", methods=["POST"], endpoint="admin_expire_tokens_after"),
)


class AdminInputError(ValueError):
    """A bad request to the admin side; answered with 400 and the message."""


@dataclass
class Fault:
    """A queued fault: the next ``times`` matching requests get this instead of the real answer.

    Attributes:
        path_prefix: matches requests whose path starts with it.
        path_suffix: when set, the path must also end with it (``/results`` of any job).
        method: matches only this HTTP method when set.
        status: HTTP status to answer with.
        times: how many requests it still applies to.
        headers: extra response headers (merged over the vendor's defaults for ``status``).
        body: response body (JSON for dict/list, text for str); vendor default when None.
        drop_connection: close the socket without answering at all.
        truncate_after: serve the real answer, but close the connection after this many bytes
            of its body (a connection dropped mid-download); status and headers are the real
            ones, ``Content-Length`` included.
        chunked: with ``truncate_after``, send the answer with chunked transfer encoding (no
            ``Content-Length``) and close the connection in the middle of the chunks.
    """

    path_prefix: str
    path_suffix: str | None = None
    status: int = 500
    method: str | None = None
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    drop_connection: bool = False
    truncate_after: int | None = None
    chunked: bool = False

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """Build a fault from the admin request body, or raise :class:`AdminInputError`."""
        if not isinstance(data, dict) or not isinstance(data.get("path_prefix"), str):
            raise AdminInputError("a fault needs at least a string 'path_prefix'")
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise AdminInputError(f"unknown fault settings: {sorted(unknown)}")
        fault = cls(**data)
        if not isinstance(fault.status, int) or not isinstance(fault.times, int) or fault.times < 1:
            raise AdminInputError("'status' must be an integer and 'times' an integer >= 1")
        fault.method = fault.method.upper() if fault.method else None
        return fault

    def matches(self, request: Request) -> bool:
        """Whether this fault applies to ``request``."""
        method_ok = self.method is None or self.method == request.method
        path = request.path
        suffix_ok = self.path_suffix is None or path.endswith(self.path_suffix)
        return method_ok and suffix_ok and path.startswith(self.path_prefix)


class Emulator:
    """Base WSGI application of a vendor emulator.

    Subclasses pass their API routes (endpoint = method name) and may override
    :meth:`authorize` and :meth:`vendor_error`. Admin routes (``/__sandbox/...``) need no auth
    and are not logged; every other request is logged and may be answered by a queued fault.
    """

    # Whose changes ``POST /__sandbox/mutate`` answers with (the world mutates every source).
    source = "zuora"
    # True when a refresh grant invalidates the refresh token it used (Zendesk's OAuth).
    rotates_refresh_tokens = False

    def __init__(self, world: World, rules: Iterable[Rule]) -> None:
        self.world = world
        # A Rule binds to one Map; empty() copies it so every app gets its own.
        self.url_map = Map([rule.empty() for rule in (*rules, *ADMIN_RULES)])
        self._lock = threading.Lock()
        self._requests: list[dict[str, Any]] = []
        self._faults: list[Fault] = []
        # API requests still to answer before every token issued so far expires (None: none)
        self._expire_after: int | None = None
        # Secrets a client sends (an OAuth client secret) are masked in the request log.
        self.redact = Redactor()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Route ``request`` to a fault, the admin side or an API handler."""
        body = request.get_data(cache=True, as_text=True)
        try:
            endpoint, args = self.url_map.bind_to_environ(request.environ).match()
        except HTTPException as exc:
            endpoint, args, error = None, {}, exc
        if isinstance(endpoint, str) and endpoint.startswith("admin_"):
            try:
                return getattr(self, endpoint)(request, **args)
            except AdminInputError as exc:
                return json_response({"error": str(exc)}, 400)
        fault = self._take_fault(request)
        if fault is not None and fault.truncate_after is not None and endpoint is not None:
            response = self.authorize(request) or getattr(self, endpoint)(request, **args)
            response = _truncated(response, fault.truncate_after, request, chunked=fault.chunked)
        elif fault is not None:
            response = self._fault_response(fault, request)
        elif endpoint is None:
            response = self.route_error(error.code or 404)
        else:
            response = self.authorize(request) or getattr(self, endpoint)(request, **args)
        status = None if fault is not None and fault.drop_connection else response.status_code
        with self._lock:
            self._requests.append(request_log.entry(request, status, body, self.redact))
            self._expire_after = None if self._expire_after is None else self._expire_after - 1
            expire_now = self._expire_after == 0
            if expire_now:
                self._expire_after = None
        if expire_now:
            self.expire_tokens()
        return response

    # -- hooks for subclasses ---------------------------------------------------------------

    def authorize(self, request: Request) -> Response | None:
        """The error response for an unauthenticated request, or None to let it through."""
        return None

    def expire_tokens(self) -> int:
        """Refuse every access token issued so far (401 from now on); how many there were.

        Raises:
            NotImplementedError: the API issues no tokens (``/__sandbox/expire-tokens`` then
                answers 404).
        """
        raise NotImplementedError

    def vendor_error(self, status: int) -> tuple[Any, dict[str, str]]:
        """The vendor's default (body, headers) for a faulted ``status``."""
        return {"error": f"sandbox fault {status}"}, {}

    def route_error(self, status: int) -> Response:
        """The answer to a path (404) or method (405) the API does not have."""
        return json_response({"error": "no such route"}, status)

    # -- faults ------------------------------------------------------------------------------

    def _take_fault(self, request: Request) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(request):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _fault_response(self, fault: Fault, request: Request) -> Response:
        if fault.drop_connection:
            sock = request.environ.get("werkzeug.socket")
            if isinstance(sock, socket.socket):
                log.info("dropping the connection of %s %s", request.method, request.path)
                sock.shutdown(socket.SHUT_RDWR)
            return Response(b"", status=500)
        body, headers = self.vendor_error(fault.status)
        body = body if fault.body is None else fault.body
        headers = {**headers, **fault.headers}
        if isinstance(body, str):
            return Response(body, status=fault.status, headers=headers)
        return json_response(body, fault.status, headers)

    # -- admin side -------------------------------------------------------------------------

    def admin_health(self, request: Request) -> Response:
        now = self.world.now.isoformat().replace("+00:00", "Z")
        return json_response({"status": "ok", "now": now})

    def admin_mutate(self, request: Request) -> Response:
        data = admin_object(request)
        try:
            at = datetime.fromisoformat(data["at"]) if data.get("at") else None
            if at is not None and at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
            defaults = (("creates", 5), ("updates", 5), ("deletes", 2), ("returns", 0))
            counts = {k: int(data.get(k, d)) for k, d in defaults}
            result = self.world.mutate_sources(at, **counts)
        except (TypeError, ValueError) as exc:
            raise AdminInputError(str(exc)) from exc
        return json_response(result[self.source])

    def admin_requests(self, request: Request) -> Response:
        with self._lock:
            return json_response(list(self._requests))

    def admin_clear_requests(self, request: Request) -> Response:
        with self._lock:
            self._requests.clear()
        return Response(status=204)

    def admin_add_fault(self, request: Request) -> Response:
        fault = Fault.from_json(admin_json(request))
        with self._lock:
            self._faults.append(fault)
        return json_response({"queued": len(self._faults)}, 201)

    def admin_clear_faults(self, request: Request) -> Response:
        with self._lock:
            self._faults.clear()
        return Response(status=204)

    def admin_expire_tokens_after(self, request: Request) -> Response:
        """Expire every token issued so far once ``after_requests`` more API requests have
        been answered (0, the default: now, which also cancels an expiry still pending)."""
        after = admin_object(request).get("after_requests", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise AdminInputError("'after_requests' must be an integer >= 0")
        if type(self).expire_tokens is Emulator.expire_tokens:
            return json_response({"error": "this emulator issues no tokens"}, 404)
        with self._lock:
            self._expire_after = after or None
        # An API whose refresh grant also replaces the refresh token says so to the checks.
        rotates = {"rotates_refresh_tokens": True} if self.rotates_refresh_tokens else {}
        if after:
            return json_response({"after_requests": after, **rotates})
        return json_response({"after_requests": 0, "expired": self.expire_tokens(), **rotates})


def admin_json(request: Request) -> Any:
    """The JSON body of an admin request, whatever its Content-Type (``curl -d`` sends a form
    type); None for an empty body.

    Raises:
        AdminInputError: the body is not JSON.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise AdminInputError("the body must be JSON") from None


def admin_object(request: Request) -> dict[str, Any]:
    """The JSON object body of an admin request; ``{}`` for an empty body.

    Raises:
        AdminInputError: the body is not a JSON object.
    """
    data = admin_json(request)
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise AdminInputError("the body must be a JSON object")
    return data


def _truncated(response: Response, limit: int, request: Request, *, chunked: bool) -> Response:
    """``response`` with its full headers but only ``limit`` bytes of body, then a closed socket.

    Framed by a ``Content-Length`` of the whole body, or (``chunked``) sent in chunks with the
    closing zero-length chunk never coming.
    """
    data = response.get_data()
    sock = request.environ.get("werkzeug.socket")

    def body() -> Iterable[bytes]:
        yield data[:limit]
        if isinstance(sock, socket.socket):
            log.info("dropping the connection of %s %s mid-body", request.method, request.path)
            sock.shutdown(socket.SHUT_RDWR)

    headers = dict(response.headers)
    headers.pop("Content-Length", None)
    if not chunked:
        headers["Content-Length"] = str(len(data))
    return Response(body(), status=response.status_code, headers=headers)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response (UTF-8)."""
    return Response(json.dumps(body), status=status, headers=headers, mimetype="application/json")
