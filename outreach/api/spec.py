"""The OpenAPI 3 document at /api/v1/openapi.json, built from the declared endpoints."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from http import HTTPStatus

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, jsonify
from marshmallow import Schema, fields

from outreach.api.core import CURSOR_MAX_LENGTH, CURSOR_PATTERN, OPERATIONS
from outreach.config import DEFAULTS
from outreach.schemas import Email, Text, in_calendar

# What Text and Email refuse, as JSON Schema patterns (see outreach/schemas.py): no control
# character but tab and newlines, and (for text that cannot be blank) one character that is not
# white space, since the server trims before it checks.
_ALLOWED = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_VISIBLE = r"[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_ANY_TEXT = f"^{_ALLOWED}*$"
_SOME_TEXT = f"^{_ALLOWED}*{_VISIBLE}{_ALLOWED}*$"
# The years in_calendar allows: 1900-2999 for a day; for a date and time, whose day is taken in
# UTC after its offset is applied, the years between, whatever the offset.
_DAY_YEARS = r"^(19[0-9]{2}|2[0-9]{3})-"
_TIME_YEARS = r"^(19[0-9][1-9]|19[1-9]0|2[0-8][0-9]{2}|29[0-8][0-9]|299[0-8])-"
# The times the server reads (datetime.time.fromisoformat) include these, which it also writes.
_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"

_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_PARAMETER = re.compile(r"\{(\w+)\}")


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
    error = fields.Nested(ErrorDetail, required=True)


def _string_rules(self, field, ret) -> dict:
    """apispec attribute function: declare what the project's own string fields refuse."""
    if isinstance(field, Text):
        # maxLength counts the trimmed text on the server; untrimmed text this long is rare.
        return {"pattern": _SOME_TEXT if field.required_text else _ANY_TEXT,
                "maxLength": field.max_length}
    if isinstance(field, Email) and not field.blank:
        return {"pattern": _SOME_TEXT, "maxLength": 320}
    if isinstance(field, fields.Date | fields.DateTime) and in_calendar in field.validators:
        return {"pattern": _DAY_YEARS if isinstance(field, fields.Date) else _TIME_YEARS}
    if isinstance(field, fields.Time) and field.format in (None, "iso", "iso8601"):
        return {"pattern": _TIME}
    return {}


def _path(rule: str) -> tuple[str, list[dict]]:
    params = []
    for match in _CONVERTER.finditer(rule):
        kind = "integer" if match.group("conv") == "int" else "string"
        params.append({"name": match.group("name"), "in": "path", "required": True,
                       "schema": {"type": kind, "minimum": 1} if kind == "integer"
                       else {"type": "string"}})
    return "/api/v1" + _CONVERTER.sub(r"{\g<name>}", rule), params


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": "Error"}}}


def build(max_page_size: int = int(DEFAULTS["API_MAX_PAGE_SIZE"])) -> dict:
    """Assemble the document from OPERATIONS (`max_page_size`: the API_MAX_PAGE_SIZE served)."""
    plugin = MarshmallowPlugin()
    spec = APISpec(title="Outreach & Check-in Toolkit API", version="1", openapi_version="3.0.3",
                   plugins=[plugin],
                   info={"description": "Bearer-token JSON API. Lists are cursor-paginated."})
    plugin.converter.add_attribute_function(_string_rules)
    spec.components.schema("Error", schema=Error)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    paths: dict[str, dict] = {}
    for rule, method, meta in OPERATIONS:
        path, params = _path(rule)
        op: dict = {"summary": meta["summary"], "description": meta["doc"],
                    "operationId": f"{meta['name']}_{method.lower()}", "tags": [meta["tag"]],
                    "parameters": list(params), "responses": {}}
        if meta["auth"]:
            op["security"] = [{"bearer": []}]
            op["responses"]["401"] = _error("Missing or invalid token")
            op["responses"]["403"] = _error("Not allowed for this role")
        if meta["roles"]:
            op["description"] += f"\n\nRoles: {', '.join(meta['roles'])}."
        if meta["query"] is not None:
            op["parameters"].append({"in": "query", "schema": meta["query"]})
            op["responses"]["422"] = _error("Invalid query parameters")
        elif meta["many"]:
            op["parameters"] += [
                {"in": "query", "name": "cursor", "schema": _cursor()},
                {"in": "query", "name": "limit", "schema": _limit(max_page_size)},
            ]
        if meta["body"] is not None:
            body = meta["body"]
            if meta["partial"]:
                # A change's own shape: nothing required, without the fields it refuses
                # (inline: a second component named after the same schema would be ambiguous).
                body = plugin.converter.schema2jsonschema(
                    body(exclude=meta["fixed"], partial=True))
            if meta["fixed"]:
                op["description"] += ("\n\nCannot be changed here (422 if given): "
                                      f"{', '.join(meta['fixed'])}.")
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": body}}}
            op["responses"]["422"] = _error("Invalid input")
            op["responses"]["415"] = _error("Not JSON")
            op["responses"]["413"] = _error("Body larger than the server accepts")
        if meta.get("rate_limited"):
            op["responses"]["429"] = _error("Too many attempts; try again later")
        for status in meta["errors"]:
            op["responses"][str(status)] = _error(HTTPStatus(status).phrase)
        response = meta["response"]
        if response is None:
            op["responses"]["204"] = {"description": "Done"}
        elif meta["many"]:
            items = ({"oneOf": [response, *meta["alternatives"]]} if meta["alternatives"]
                     else response)
            op["responses"][str(meta["status"])] = {"description": "A page", "content": {
                "application/json": {"schema": {
                    "type": "object", "required": ["items", "next_cursor"],
                    "properties": {"items": {"type": "array", "items": items},
                                   "next_cursor": {"type": "string", "nullable": True}}}}}}
        else:
            op["responses"][str(meta["status"])] = {"description": "OK", "content": {
                "application/json": {"schema": response}}}
        op["responses"]["400"] = _error("Bad request")
        op["responses"]["404"] = _error("Not found")
        op["responses"]["409"] = _error("Conflict")
        paths.setdefault(path, {"parameters": []})
        paths[path][method.lower()] = op
    for (path, method), links in _links().items():
        paths[path][method]["responses"]["201"]["links"] = links
    for path, operations in paths.items():
        operations.pop("parameters")
        spec.path(path=path, operations=operations)
    # Through JSON so that numbers apispec copies from validators (e.g. a Decimal field's
    # bounds) are JSON numbers, not the strings Flask would make of them.
    document = json.loads(json.dumps(spec.to_dict(), default=_number))
    _bound_limits(document, max_page_size)
    return document


def _links() -> dict[tuple[str, str], dict]:
    """OpenAPI links from each create (201 with an id) to what can be done with what it made.

    A created resource lives at its collection's path plus `/{p}` (or, for a resource made under
    another, at the item path of a read answering the same schema, e.g. a workshop's sessions
    at /sessions/{session_id}); every operation on that item path or under it is linked, with
    `p` taken from the answer's `id` and the other path parameters from the create's own. A create
    answering with its parent (an enrolment answers with the client) links nothing.
    """
    declared = [(_path(rule)[0], method.lower(), meta) for rule, method, meta in OPERATIONS]
    reads = {(meta["response"], path) for path, method, meta in declared
             if method == "get" and not meta["many"]}
    found: dict[tuple[str, str], dict] = {}
    for path, method, meta in declared:
        made = meta["response"]
        if (method != "post" or meta["status"] != 201 or meta["many"] or made is None
                or "id" not in made._declared_fields):
            continue
        if (made, path.rsplit("/", 1)[0]) in reads:
            continue
        own = set(_PARAMETER.findall(path))
        items = {f"{path}/{other[len(path) + 1:].split('/')[0]}"
                 for other, _method, _meta in declared if other.startswith(path + "/{")}
        items |= {item for schema, item in reads
                  if schema is made and _PARAMETER.fullmatch(item.rsplit("/", 1)[1])}
        links = {}
        for item in sorted(items):
            created = _PARAMETER.fullmatch(item.rsplit("/", 1)[1]).group(1)
            for target, target_method, target_meta in declared:
                if target != item and not target.startswith(item + "/"):
                    continue
                names = _PARAMETER.findall(target)
                if not set(names) - {created} <= own:
                    continue
                links[f"{target_meta['name']}_{target_method}"] = {
                    "operationId": f"{target_meta['name']}_{target_method}",
                    "parameters": {name: "$response.body#/id" if name == created
                                   else f"$request.path.{name}" for name in names}}
        if links:
            found[(path, method)] = links
    return found


def _cursor() -> dict:
    """A page cursor: opaque, but only the form the server makes is taken (see decode_cursor)."""
    return {"type": "string", "pattern": CURSOR_PATTERN, "maxLength": CURSOR_MAX_LENGTH}


def _limit(max_page_size: int) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": max_page_size}


def _bound_limits(document: dict, max_page_size: int) -> None:
    """Every list's `limit` is a whole number from 1 to the largest page (see page_size) and its
    `cursor` one the server made, whatever its query schema declares (page_size and
    decode_cursor read them, not the schema)."""
    for operations in document["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "limit":
                    parameter["schema"] = _limit(max_page_size)
                if parameter.get("in") == "query" and parameter.get("name") == "cursor" \
                        and "pattern" not in parameter["schema"]:  # a cursor of its own form
                    parameter["schema"] = _cursor()


def _number(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} in the OpenAPI document")


def register_spec_route(app: Flask) -> None:
    cache: dict = {}

    @app.get("/api/v1/openapi.json")
    def openapi():
        """The OpenAPI description of this API."""
        if "doc" not in cache:
            cache["doc"] = build(app.config["API_MAX_PAGE_SIZE"])
        return jsonify(cache["doc"])
