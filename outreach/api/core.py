"""The machinery every API route uses, on flask-smorest: authentication, role checks, request
parsing, answers, documented errors and one commit per request.

Each feature declares its operations on its own `Blueprint` (below) with `operation`, which
composes flask-smorest's `route`, `arguments`, `response`, `alt_response` and `doc` in the one
order the contract needs: the caller is authenticated and their role checked before anything
they sent is read (so a stranger learns nothing from a 422), and the request commits once,
after the answer is made.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from http import HTTPStatus

import flask_smorest
from flask import current_app, g, request
from marshmallow import Schema, ValidationError, fields
from webargs.flaskparser import FlaskParser

from outreach.api.pagination import (
    CURSOR_MAX_LENGTH,
    CURSOR_PATTERN,
    Page,
    check_paging,
    decode_cursor,
    encode_cursor,
    page_size,
    paginate,
)
from outreach.auth import tokens
from outreach.db import db
from outreach.enums import Role
from outreach.errors import APIError, Forbidden, Unauthorized, ValidationFailed

__all__ = ["CURSOR_MAX_LENGTH", "CURSOR_PATTERN", "Blueprint", "Error", "Page", "decode_cursor",
           "encode_cursor", "json_body", "load", "page_size", "paginate"]

URL_PREFIX = "/api/v1"


class ErrorMatch(Schema):
    """A possible duplicate client, with why it matched (409 on enrolment)."""

    id = fields.Integer(required=True)
    full_name = fields.String(required=True)
    date_of_birth = fields.Date(allow_none=True)
    phone = fields.String(allow_none=True)
    reason = fields.String(required=True)


class ErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    # Sent with some 409s only: what the record's status is, what it may become, which
    # existing clients look like the one being enrolled.
    status = fields.String()
    allowed = fields.List(fields.String())
    matches = fields.List(fields.Nested(ErrorMatch))
    fields = fields.Dict(required=True)  # last: the name hides marshmallow's module below it


class Error(Schema):
    """Every refusal's body (outreach/errors.py writes it)."""

    error = fields.Nested(ErrorDetail, required=True)


def json_body() -> dict:
    """The request body as a JSON object, or a clear 4xx."""
    if not request.mimetype or request.mimetype != "application/json":
        raise APIError("Send a JSON body with Content-Type: application/json.",
                       status=415, code="unsupported_media_type")
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise APIError("The body is not valid UTF-8.", code="invalid_body") from exc
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise APIError("The body is not valid JSON.", code="invalid_body") from exc
    if not isinstance(data, dict):
        raise APIError("The body must be a JSON object.", code="invalid_body")
    return data


@functools.cache
def schema_for(schema: type[Schema], many: bool = False) -> Schema:
    """One instance of each schema per process: building one copies every declared field, which
    cost more than some requests' own work. Marshmallow 4 schemas hold no per-call state."""
    return schema(many=many)


@functools.cache
def body_schema_for(schema: type[Schema], partial: bool = False) -> Schema:
    """The instance that reads JSON bodies: as schema_for, with JSON's own booleans only."""
    made = schema(partial=partial) if partial else schema()
    _json_booleans(made)
    return made


class _JSONBoolean(fields.Boolean):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _json_booleans(schema: Schema) -> None:
    """A JSON body's booleans are true and false, as the OpenAPI document says: not the 1, 0,
    "yes" or "on" marshmallow also takes (query strings and web forms, which send those, read
    with other instances)."""
    for field in schema.fields.values():
        while isinstance(field, fields.List):
            field = field.inner
        if isinstance(field, fields.Boolean):
            # The same field, with its settings, reading only JSON booleans (1 == True in
            # Python, so narrowing `truthy` would not do).
            field.__class__ = _JSONBoolean
        elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
            _json_booleans(field.schema)


def _fields_of(error: ValidationError) -> dict:
    messages = error.messages
    return messages if isinstance(messages, dict) else {"_schema": messages}


def load(schema: Schema, data, *, partial: bool = False) -> dict:
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        raise ValidationFailed("Some fields are not valid.", fields=_fields_of(exc)) from exc


def refuse_fixed(data: dict, fixed: tuple[str, ...]) -> None:
    """A 422 naming each field given that cannot change here (never silently ignored)."""
    given = [name for name in fixed if name in data]
    if given:
        raise ValidationFailed("Some fields cannot be changed.", fields={
            name: ["Cannot be changed once set."] for name in given})


def authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthorized("Send a bearer token: Authorization: Bearer <token>.")
    user = tokens.user_for_token(raw.strip())
    if user is None:
        raise Unauthorized("The token is not valid, has expired or was revoked.")
    g.user = user
    g.via = "api"


class RequestParser(FlaskParser):
    """webargs' parser, reading requests as this API always has: a JSON body only as a JSON
    object sent as application/json (415 otherwise), a query string one value per name, unknown
    names refused by each schema's own setting, and every refusal in the one error format."""

    # No location-wide default: each schema says what it does with unknown names (refuse).
    DEFAULT_UNKNOWN_BY_LOCATION: dict = {}

    def _load_location_data(self, *, schema, req, location):
        if location == "json":
            return json_body()
        if location == "query":
            return req.args.to_dict()
        raise ValueError(f"The API reads JSON bodies and query strings, not {location}")

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        # webargs files the messages under the location they came from; the format names
        # the fields themselves.
        (messages,) = error.messages.values()
        raise ValidationFailed("Some fields are not valid.",
                               fields=_fields_of(ValidationError(messages)))


class PageOf:
    """The answer of a list: a page of items, dumped with the operation's item schema (or the
    page's own, one of the alternatives) and the cursor of the next page."""

    def __init__(self, item: type[Schema], alternatives: tuple[type[Schema], ...] = ()):
        self.item, self.alternatives = item, alternatives

    def dump(self, page: Page) -> dict:
        return {"items": schema_for(page.schema or self.item, True).dump(page.items),
                "next_cursor": page.next_cursor}

    def document(self) -> dict:
        items = ({"oneOf": [self.item, *self.alternatives]} if self.alternatives
                 else self.item)
        return {"type": "object", "required": ["items", "next_cursor"],
                "properties": {"items": {"type": "array", "items": items},
                               "next_cursor": {"type": "string", "nullable": True}}}


def _cursor_parameters() -> list[dict]:
    # Their bounds are set when the document is served (spec.py), from the app's settings.
    return [{"in": "query", "name": "cursor", "schema": {"type": "string"}},
            {"in": "query", "name": "limit", "schema": {"type": "integer"}}]


class Blueprint(flask_smorest.Blueprint):
    """A feature's API routes, all under /api/v1 (`part`: a part of a feature's routes, nested
    in the feature's blueprint, which gives the prefix)."""

    ARGUMENTS_PARSER = RequestParser()

    def __init__(self, name: str, import_name: str, *, part: bool = False):
        super().__init__(name, import_name, url_prefix=None if part else URL_PREFIX)
        # operationId -> its statuses in the order the document lists them (flask-smorest lists
        # them in the order its decorators met them).
        self.answer_order: dict[str, list[str]] = {}

    @staticmethod
    def _make_doc_response_schema(schema):
        return schema.document() if isinstance(schema, PageOf) else schema

    def operation(self, rule: str, *, method: str = "GET", summary: str, tag: str,
                  body: type[Schema] | None = None, query: type[Schema] | None = None,
                  response: type[Schema] | None = None, many: bool = False, status: int = 200,
                  roles: Iterable[Role] | None = None, auth: bool = True,
                  partial: bool = False, rate_limits: Iterable = (),
                  alternatives: Iterable[type[Schema]] = (), errors: Iterable[int] = (),
                  fixed: Iterable[str] = ()):
        """Declare an API operation: who may call it, what it takes, what it returns.

        The view receives `user`, and `data` / `params` when a body / query schema is given; it
        returns a domain object (or a Page when `many`; None for 204), or (object, status) when
        it answers another status than `status`. `errors`: further 4xx statuses the view answers
        (documented); `fixed`: body fields a change (PATCH) refuses with 422 rather than ignore.
        """
        rate_limits, fixed = tuple(rate_limits), tuple(fixed)
        allowed = frozenset(roles) if roles else None

        def decorate(view):
            func = view
            if fixed:
                func = _refusing(func, fixed)
            if response is None:
                func = self.response(204, description="Done")(func)
            elif many:
                func = self.response(status, PageOf(response, tuple(alternatives)),
                                     description="A page")(func)
            else:
                func = self.response(status, response, description="OK")(func)
            if body is not None:
                func = self.arguments(body_schema_for(body, partial), arg_name="data")(func)
            if query is not None:
                func = self.arguments(schema_for(query), location="query",
                                      arg_name="params")(func)
            answers = _answers(auth, query, body, rate_limits, errors,
                               204 if response is None else status)
            for code, description in answers.items():
                if description is not None:
                    func = self.alt_response(code, schema=Error, description=description)(func)
            func = self.doc(**_operation_doc(view, method, summary, auth, allowed, body,
                                             partial, fixed, many and query is None))(func)
            self.answer_order[f"{view.__name__}_{method.lower()}"] = [str(c) for c in answers]
            registered = _guarded(func, auth=auth, allowed=allowed,
                                  paged=many and query is None)
            registered.api_roles = sorted(allowed) if allowed else None
            for limit in rate_limits:
                registered = limit(registered)
            self.route(rule, methods=[method], tags=[tag])(registered)
            return view

        return decorate


def _refusing(view, fixed: tuple[str, ...]):
    @functools.wraps(view)
    def refusing(*args, **kwargs):
        refuse_fixed(kwargs["data"], fixed)
        return view(*args, **kwargs)

    return refusing


def _guarded(func, *, auth: bool, allowed: frozenset | None, paged: bool):
    @functools.wraps(func)
    def guarded(**kwargs):
        g.via = "api"
        if auth:
            authenticate()
            if allowed is not None and g.user.role not in allowed:
                raise Forbidden("Your role cannot do this.")
            kwargs["user"] = g.user
        if paged:
            check_paging()
        answer = func(**kwargs)
        if answer.status_code == 204:
            answer = current_app.response_class(status=204)
        db.session.commit()
        return answer

    return guarded


def _answers(auth, query, body, rate_limits, errors, success: int) -> dict[int, str | None]:
    """Every status the operation answers, in the document's order: the error statuses with
    their descriptions, and the success status (None)."""
    found: dict[int, str | None] = {}
    if auth:
        found[401] = "Missing or invalid token"
        found[403] = "Not allowed for this role"
    if query is not None:
        found[422] = "Invalid query parameters"
    if body is not None:
        found[422] = "Invalid input"
        found[415] = "Not JSON"
        found[413] = "Body larger than the server accepts"
    if rate_limits:
        found[429] = "Too many attempts; try again later"
    for code in errors:
        found[code] = HTTPStatus(code).phrase
    found[success] = None
    found.update({400: "Bad request", 404: "Not found", 409: "Conflict"})
    return found


def _operation_doc(view, method: str, summary: str, auth: bool, allowed, body, partial: bool,
                   fixed: tuple[str, ...], paged: bool) -> dict:
    description = (view.__doc__ or "").strip()
    if allowed:
        description += f"\n\nRoles: {', '.join(sorted(allowed))}."
    doc: dict = {"summary": summary, "operationId": f"{view.__name__}_{method.lower()}"}
    if auth:
        doc["security"] = [{"bearer": []}]
    if fixed:
        description += f"\n\nCannot be changed here (422 if given): {', '.join(fixed)}."
    doc["description"] = description
    if partial:
        # A change's own shape: nothing required, without the fields it refuses (inline: a
        # second component named after the same schema would be ambiguous).
        doc["requestBody"] = {"content": {"application/json": {
            "schema": body(exclude=fixed, partial=True)}}}
    if paged:
        doc["parameters"] = _cursor_parameters()
    return doc
