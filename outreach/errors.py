"""One error format for the API: {"error": {"code", "message", "fields"}} with a 4xx status."""

from __future__ import annotations

import contextlib
import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api/", "/fhir/", "/feeds/", "/healthz")


class APIError(Exception):
    """A refusal the caller can act on; raised by services and views alike."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict | None = None, status: int | None = None,
                 code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra or {}
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message, "fields": self.fields}
        body.update(self.extra)
        return {"error": body}


class ValidationFailed(APIError):
    status = 422
    code = "validation_failed"


class NotFound(APIError):
    status = 404
    code = "not_found"


class Forbidden(APIError):
    status = 403
    code = "forbidden"


class Conflict(APIError):
    status = 409
    code = "conflict"


class Unauthorized(APIError):
    status = 401
    code = "unauthorized"


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or request.accept_mimetypes.best == (
        "application/json"
    )


def _error_response(status: int, code: str, message: str, fields: dict | None = None):
    if wants_json():
        body = {"error": {"code": code, "message": message, "fields": fields or {}}}
        return jsonify(body), status
    return render_template("error.html", status=status, code=code, message=message), status


def register(app: Flask) -> None:
    """Attach the handlers that turn every failure into the one error format."""

    @app.errorhandler(APIError)
    def handle_api_error(error: APIError):
        if wants_json():
            response = jsonify(error.to_dict())
            response.status_code = error.status
            if error.status == 401:
                response.headers["WWW-Authenticate"] = 'Bearer realm="outreach"'
            return response
        return _error_response(error.status, error.code, error.message, error.fields)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        return _error_response(400, "csrf_failed",
                               "This form has expired or did not come from this site.")

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        code = (error.name or "error").lower().replace(" ", "_").replace("'", "")
        response = app.make_response(
            _error_response(error.code or 500, code, error.description or error.name))
        # The exception's own headers say what to do next (405: Allow; 429: Retry-After).
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def handle_database_unavailable(error: Exception):
        # The database went away (a restart, a failover): nothing was stored, so say "try
        # again shortly" rather than report a fault; the pool reconnects once it is back.
        from outreach.db import db

        log.warning("Database unavailable on %s %s (%s)", request.method, request.path,
                    type(getattr(error, "orig", error)).__name__)
        with contextlib.suppress(Exception):  # the connection is gone; the pool drops it
            db.session.rollback()
        message = "The service is briefly unavailable. Please try again shortly."
        if wants_json():
            response = jsonify({"error": {"code": "database_unavailable", "message": message,
                                          "fields": {}}})
        else:  # no page template: drawing one may need the database that is missing
            response = app.make_response((message, 503, {"Content-Type": "text/plain"}))
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        return _error_response(500, "internal_error", "Something went wrong on our side.")
