"""FHIR's HTTP rules under /fhir/r4: JSON only (406 for any other format asked for), and every
error an OperationOutcome, whatever raised it (an unknown path, a wrong method, a limit)."""

from __future__ import annotations

import json

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

PREFIX = "/fhir/r4"
MIMETYPE = "application/fhir+json"
SERVED_TYPES = (MIMETYPE, "application/json")
# _format values meaning JSON (FHIR's "json" shorthand and the mime types, "+" sent unencoded
# arriving as a space).
JSON_FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}
ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
               405: "not-supported", 406: "not-supported", 409: "conflict", 410: "deleted",
               413: "too-long", 422: "invalid", 429: "throttled"}


def answer(resource: dict, status: int = 200, *, pretty: bool = False) -> Response:
    """A FHIR JSON response."""
    return Response(json.dumps(resource, indent=2 if pretty else None), status=status,
                    mimetype=MIMETYPE)


def operation_outcome(status: int, message: str, code: str | None = None) -> Response:
    """A refusal as FHIR says to give one: an OperationOutcome with one error issue."""
    response = answer({"resourceType": "OperationOutcome", "issue": [{
        "severity": "error", "code": code or ISSUE_CODES.get(status, "processing"),
        "diagnostics": message}]}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="outreach"'
    return response


def _under_fhir() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def negotiate() -> Response | None:
    """Before a FHIR route: 406 when the client asks for a format not served (XML, Turtle…)."""
    wanted = request.args.get("_format")
    if wanted is not None and wanted.strip().replace(" ", "+").lower() not in JSON_FORMATS:
        return operation_outcome(406, f"_format={wanted[:40]} is not served: only JSON "
                                      f"({MIMETYPE}).")
    if "Accept" in request.headers and request.accept_mimetypes.best_match(SERVED_TYPES) is None:
        return operation_outcome(406, f"Only JSON is served here ({MIMETYPE} or "
                                      "application/json); the Accept header allows neither.")
    return None


def as_outcome(response: Response) -> Response:
    """After any request under /fhir/r4: an error that is not yet an OperationOutcome (one
    raised before or outside the FHIR views, e.g. an unknown path or method) becomes one."""
    if not _under_fhir() or response.status_code < 400 or response.mimetype == MIMETYPE:
        return response
    message = response.status
    if response.is_json:
        error = (response.get_json(silent=True) or {}).get("error") or {}
        message = error.get("message") or message
    outcome = operation_outcome(response.status_code, message)
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response.headers:
            outcome.headers[header] = response.headers[header]
    if response.status_code == 405 and "Allow" not in outcome.headers:
        outcome.headers["Allow"] = ", ".join(_allowed_methods())
    return outcome


def _allowed_methods() -> list[str]:
    """The methods the request's path answers (FHIR and HTTP both want them on a 405)."""
    try:
        adapter = current_app.url_map.bind_to_environ(request.environ)
        return sorted(adapter.allowed_methods(request.path))
    except HTTPException:
        return []
