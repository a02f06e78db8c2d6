"""Outreach & Check-in Toolkit: the Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from outreach import config as configuration

REPO_ROOT = Path(__file__).resolve().parent.parent


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: a number too big for an id column names nothing (404).

    Without this the number reaches the database and fails there (a 500). NotFound rather than
    werkzeug's ValidationError, which would make the other methods' rules answer 405.
    """

    def to_python(self, value: str) -> int:
        from outreach.schemas import MAX_ID

        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides settings read from the environment."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = IdConverter
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(configuration.load(config, app.instance_path))
    configuration.check(app.config)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("outreach").setLevel(logging.INFO)

    from outreach import db as database
    from outreach import errors, models, security
    from outreach.audit import refusals
    from outreach.extensions import csrf, db, limiter, login_manager, migrate

    models.load_all()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(REPO_ROOT / "migrations"))
    limiter.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    errors.register(app)
    # Before every feature's hooks, so the refusal is audited after they have run.
    refusals.init_app(app)
    # What a request committed is handed over once it is answered (texts, feed, webhooks); like
    # the features' hooks, before the refusal is audited.
    database.init_app(app)

    from outreach import (
        api,
        auth,
        care,
        escalations,
        evaluation,
        health,
        literacy,
        messages,
        needs,
        people,
        programmes,
        reports,
        selfreport,
        visits,
        web,
    )
    from outreach.cli import cli
    from outreach.demo import seed as _demo  # noqa: F401 - registers seed-demo
    from outreach.escalations import webhook_cli as _webhook_cli  # noqa: F401 - webhook-listen
    from outreach.jobs import tick as _tick  # noqa: F401 - registers tick
    from outreach.messages import cli as _sms_simulate  # noqa: F401 - registers sms-simulate
    from outreach.messages import template_cli as _sms_cli  # noqa: F401 - registers sms-templates
    from outreach.people import cli as _people_cli  # noqa: F401 - registers data commands
    from outreach.people import subject_access
    from outreach.reports import cli as _report_cli  # noqa: F401 - partner-report, extract
    from outreach.retention import cli as _retention_cli  # noqa: F401 - registers retention

    # Each feature's pages, commands, event receivers, inbound-text handlers, access scopes and
    # holdings (the self-report form is public: its texted link is the key; the escalations'
    # Atom feed and FHIR reads go by bearer tokens only, never the session).
    for feature in (auth, people, programmes, visits, needs, care, escalations, selfreport,
                    literacy, evaluation, messages, reports):
        feature.init_app(app)
    if app.config["CELERY_BROKER_URL"]:
        from outreach.jobs.background import celery_init_app

        celery_init_app(app)
    api.init_app(app)
    app.register_blueprint(health.bp)
    web.init_app(app)
    # Once every feature has given its declaration, in the export's order of features.
    subject_access.declare_all()
    app.cli.add_command(cli)
    return app
