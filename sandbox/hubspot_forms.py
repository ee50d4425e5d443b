"""The HubSpot emulator's forms routes: ``GET /marketing/v3/forms`` and the form submissions
of ``GET /form-integrations/v1/submissions/forms/{guid}`` (newest first, ``after`` paging)."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from bizops_sandbox.emulator import json_response
from bizops_sandbox.world_hubspot import FORMS, HISTORY_FORMS_CREATED

FORM_RULES = (
    Rule("/marketing/v3/forms", methods=["GET"], endpoint="list_forms"),
    Rule("/form-integrations/v1/submissions/forms/<guid>", methods=["GET"],
         endpoint="form_submissions"),
)  # fmt: skip
SUBMISSIONS_LIMIT = 50


class FormRoutes:
    """Mixin of the HubSpot emulator: forms and their submissions from the world."""

    world: Any

    def list_forms(self, request: Request) -> Response:
        stamp = HISTORY_FORMS_CREATED.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        results = [{"id": guid, "name": name, "formType": "hubspot", "createdAt": stamp,
                    "updatedAt": stamp, "archived": False} for guid, name, _ in FORMS]  # fmt: skip
        return json_response({"results": results})

    def form_submissions(self, request: Request, guid: str) -> Response:
        """Submissions of form ``guid``, newest first; ``after`` is an offset this API gave."""
        if guid not in {g for g, _, _ in FORMS}:
            return json_response({"status": "error", "message": f"Form {guid} not found",
                                  "category": "OBJECT_NOT_FOUND"}, 404)  # fmt: skip
        after_text = request.args.get("after", "0")
        limit_text = request.args.get("limit", str(SUBMISSIONS_LIMIT))
        if not after_text.isdigit() or not limit_text.isdigit():
            return json_response({"status": "error", "message": "after and limit are numbers",
                                  "category": "VALIDATION_ERROR"}, 400)  # fmt: skip
        after, limit = int(after_text), min(max(int(limit_text), 1), SUBMISSIONS_LIMIT)
        rows = [r for r in self.world.records("form_submissions", source="hubspot")
                if r["properties"]["formGuid"] == guid]  # fmt: skip
        rows.sort(key=lambda r: (r["properties"]["submittedAt"], int(r["id"])), reverse=True)
        page = rows[after : after + limit]
        body: dict[str, Any] = {"results": [_submission(r) for r in page]}
        if after + limit < len(rows):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return json_response(body)


def conversion_id(record_id: str) -> str:
    """The ``conversionId`` the API gives the world's form submission ``record_id``."""
    return f"c0a8{int(record_id):028x}"


def _submission(row: dict[str, Any]) -> dict[str, Any]:
    props = row["properties"]
    return {
        "conversionId": conversion_id(row["id"]),
        "submittedAt": int(props["submittedAt"].timestamp() * 1000),
        "values": [{"name": "email", "value": props["email"]}],
        "pageUrl": props["pageUrl"],
    }
