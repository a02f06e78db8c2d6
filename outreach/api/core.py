"""The machinery every API route uses: authentication, validation, pagination, the spec."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Blueprint, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import Select

from outreach.auth import tokens
from outreach.db import db
from outreach.enums import Role
from outreach.errors import APIError, Forbidden, Unauthorized, ValidationFailed
from outreach.schemas import MAX_ID

api = Blueprint("api", __name__, url_prefix="/api/v1")

# Every operation, for the OpenAPI document: (rule, method, metadata).
OPERATIONS: list[tuple[str, str, dict]] = []


@dataclass
class Page:
    items: list
    next_cursor: str | None
    # Dump the items with this schema instead of the endpoint's (one of its `alternatives`).
    schema: type[Schema] | None = None


# A cursor is an id's decimal digits in unpadded base64url: each three digits are four of these
# characters, and one or two digits left over are two or three. Written out so that the OpenAPI
# document can say exactly which cursors the server takes.
_LEAD = "(?:[MN][DTjz]|O[DT])"
_MIDDLE = "[AEIMQUYcgk]"
CURSOR_PATTERN = (f"^(?:{_LEAD}{_MIDDLE}[w-z0-5])*"
                  f"(?:(?:[MN][AQgw]|O[AQ])|{_LEAD}{_MIDDLE})?$")
_CURSOR = re.compile(CURSOR_PATTERN)
CURSOR_MAX_LENGTH = 64


def decode_cursor(raw: str | None) -> int:
    """The id a page cursor stands for (0 for none); a cursor we did not make is a 400."""
    if not raw:
        return 0
    if len(raw) > CURSOR_MAX_LENGTH or not _CURSOR.fullmatch(raw):
        raise APIError("The cursor is not valid.", fields={"cursor": ["Not a valid cursor."]})
    try:
        text = base64.urlsafe_b64decode(raw.encode() + b"==").decode()
    except (ValueError, binascii.Error, UnicodeError) as exc:  # pragma: no cover - the pattern
        raise APIError("The cursor is not valid.", fields={"cursor": ["Not a valid cursor."]}) \
            from exc
    # Past the id column's range there is nothing to page through, and the database would
    # refuse the number: the last id that fits stands for it.
    return min(int(text), MAX_ID)


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def page_size() -> int:
    raw = request.args.get("limit")
    default = current_app.config["API_PAGE_SIZE"]
    if raw is None:
        return default
    largest = current_app.config["API_MAX_PAGE_SIZE"]
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= largest:
        raise APIError(
            "limit must be a whole number from 1 to "
            f"{current_app.config['API_MAX_PAGE_SIZE']}.",
            fields={"limit": ["Out of range."]},
        )
    return int(raw)


def paginate(query: Select, id_column) -> Page:
    """Keyset pagination on an increasing id; the cursor is opaque to callers."""
    after = decode_cursor(request.args.get("cursor"))
    size = page_size()
    rows = list(db.session.scalars(query.where(id_column > after).order_by(id_column)
                                   .limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, encode_cursor(rows[-1].id) if more and rows else None)


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
def body_schema_for(schema: type[Schema]) -> Schema:
    """The instance that reads JSON bodies: as schema_for, with JSON's own booleans only."""
    made = schema()
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


def load(schema: Schema, data, *, partial: bool = False) -> dict:
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed("Some fields are not valid.", fields=messages) from exc


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


def endpoint(rule: str, *, methods: Iterable[str] = ("GET",), summary: str, tag: str,
             body: type[Schema] | None = None, query: type[Schema] | None = None,
             response: type[Schema] | None = None, many: bool = False, status: int = 200,
             roles: Iterable[Role] | None = None, auth: bool = True, partial: bool = False,
             rate_limits: Iterable = (), alternatives: Iterable[type[Schema]] = (),
             errors: Iterable[int] = (), fixed: Iterable[str] = ()):
    """Declare an API route: who may call it, what it takes, what it returns.

    The view receives `user`, and `data` / `params` when a body / query schema is given; it
    returns a domain object (or a Page when `many`). The request is one transaction, committed
    here once the view succeeds. `errors`: further 4xx statuses the view answers (documented);
    `fixed`: body fields a change (PATCH) refuses with 422 rather than ignore.
    """
    methods, rate_limits, fixed = tuple(methods), tuple(rate_limits), tuple(fixed)
    allowed = frozenset(roles) if roles else None

    def decorate(view):
        @functools.wraps(view)
        def wrapper(**kwargs):
            g.via = "api"
            if auth:
                authenticate()
                if allowed is not None and g.user.role not in allowed:
                    raise Forbidden("Your role cannot do this.")
                kwargs["user"] = g.user
            if query is not None:
                kwargs["params"] = load(schema_for(query), request.args.to_dict())
            elif many:
                # Declared on every list: refused when out of range even by a list that fits
                # on one page and so never reads them.
                page_size()
                decode_cursor(request.args.get("cursor"))
            if body is not None:
                kwargs["data"] = load(body_schema_for(body), json_body(), partial=partial)
                refuse_fixed(kwargs["data"], fixed)
            result = view(**kwargs)
            answer = status
            if isinstance(result, tuple):  # (result, status): e.g. 200 for a replayed create
                result, answer = result
            if response is None:
                payload, code = ("", 204) if result is None else (result, answer)
            elif many:
                payload = {"items": schema_for(result.schema or response, True).dump(result.items),
                           "next_cursor": result.next_cursor}
                code = answer
            else:
                payload, code = schema_for(response).dump(result), answer
            db.session.commit()
            if code == 204:
                return "", 204
            return jsonify(payload), code

        for method in methods:
            OPERATIONS.append((rule, method, {
                "summary": summary, "tag": tag, "body": body, "query": query,
                "response": response, "many": many, "alternatives": tuple(alternatives),
                "status": status, "auth": auth,
                "roles": sorted(allowed) if allowed else None,
                "doc": (view.__doc__ or "").strip(), "name": view.__name__,
                "rate_limited": bool(rate_limits), "errors": tuple(errors), "fixed": fixed,
                "partial": partial,
            }))
        registered = wrapper
        for limit in rate_limits:
            registered = limit(registered)
        api.add_url_rule(rule, view.__name__, registered, methods=list(methods))
        return wrapper

    return decorate
