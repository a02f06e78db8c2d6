"""The OpenAPI 3 document at /api/v1/openapi.json, built from the declared endpoints."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, jsonify
from marshmallow import Schema, fields

from outreach.api.core import OPERATIONS

_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


class ErrorDetail(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(required=True)


class Error(Schema):
    error = fields.Nested(ErrorDetail, required=True)


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


def build() -> dict:
    """Assemble the document from OPERATIONS."""
    spec = APISpec(title="Outreach & Check-in Toolkit API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Bearer-token JSON API. Lists are cursor-paginated."})
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
                {"in": "query", "name": "cursor", "schema": {"type": "string"}},
                {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1}},
            ]
        if meta["body"] is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": meta["body"]}}}
            op["responses"]["422"] = _error("Invalid input")
            op["responses"]["415"] = _error("Not JSON")
            op["responses"]["413"] = _error("Body larger than the server accepts")
        if meta.get("rate_limited"):
            op["responses"]["429"] = _error("Too many attempts; try again later")
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
    for path, operations in paths.items():
        operations.pop("parameters")
        spec.path(path=path, operations=operations)
    # Through JSON so that numbers apispec copies from validators (e.g. a Decimal field's
    # bounds) are JSON numbers, not the strings Flask would make of them.
    return json.loads(json.dumps(spec.to_dict(), default=_number))


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
            cache["doc"] = build()
        return jsonify(cache["doc"])
