"""The JSON API under /api/v1: bearer-token auth, validated input, one error format, OpenAPI.

Each feature declares its operations on its own flask-smorest blueprint (`<feature>_api`);
`init_app` registers them all on the app's `Api`, which documents them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, jsonify

from outreach.api.core import Blueprint, Page, paginate

__all__ = ["Blueprint", "Operation", "Page", "init_app", "openapi_document", "operations",
           "paginate"]

_DOCUMENT = "outreach.api"  # the app's Api and, once made, its document


def _blueprints() -> list[Blueprint]:
    from outreach.audit import api as audit
    from outreach.auth import api as auth
    from outreach.care import api as care
    from outreach.consent import api as consent
    from outreach.escalations import api as escalations
    from outreach.evaluation import api as evaluation
    from outreach.literacy import api as literacy
    from outreach.messages import api as messages
    from outreach.needs import api as needs
    from outreach.organisations import api as organisations
    from outreach.people import api as people
    from outreach.programmes import api as programmes
    from outreach.reports import api as reports
    from outreach.rounds import api as rounds
    from outreach.visits import api as visits

    # One per feature (a feature's other API modules nest in its blueprint), in this order in
    # the OpenAPI document (the order the fuzzer's derandomized runs walk it in).
    return [audit.blp, auth.blp, care.blp, consent.blp, escalations.blp, evaluation.blp,
            literacy.blp, messages.blp, needs.blp, organisations.blp, people.blp, programmes.blp,
            reports.blp, rounds.blp, visits.blp]


def init_app(app: Flask) -> None:
    """Register every feature's API blueprint, and serve the OpenAPI document."""
    from outreach.api import spec
    from outreach.extensions import csrf

    api = spec.make_api(app)
    features = _blueprints()
    for blueprint in features:
        api.register_blueprint(blueprint)
    # Bearer tokens, never cookies: nothing for a forged form to ride on. Each registered
    # blueprint is exempted, the parts nested in a feature's too (Flask-WTF looks up the one
    # that answers).
    names = {blueprint.name for blueprint in features}
    for name, registered in app.blueprints.items():
        if name.split(".")[0] in names:
            csrf.exempt(registered)
    app.extensions[_DOCUMENT] = {"api": api}

    @app.get("/api/v1/openapi.json")
    def openapi():
        """The OpenAPI description of this API."""
        return jsonify(openapi_document(app))


def openapi_document(app: Flask) -> dict:
    """The OpenAPI document `app` serves, made once."""
    from outreach.api import spec

    made = app.extensions[_DOCUMENT]
    if "document" not in made:
        made["document"] = spec.document(made["api"], app.config["API_MAX_PAGE_SIZE"])
    return made["document"]


@dataclass(frozen=True)
class Operation:
    """One API operation as registered: its rule, method, operationId and who may call it."""

    rule: str
    method: str
    endpoint: str
    operation_id: str
    roles: list | None  # None: any user with a token (or anyone, for the token's own route)


def operations(app: Flask) -> list[Operation]:
    """Every API operation of `app` (for the tests that go through all of them)."""
    blueprints = {blueprint.name for blueprint in _blueprints()}
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in blueprints:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append(Operation(rule.rule, method, rule.endpoint,
                                   f"{view.__name__}_{method.lower()}", view.api_roles))
    return found
