"""Imports every model so that SQLAlchemy and Alembic see the whole schema."""


def load_all() -> None:
    """Import each feature's models (kept in a function so import order stays explicit)."""
    from outreach.audit import models as _audit  # noqa: F401
    from outreach.auth import models as _auth  # noqa: F401
    from outreach.care import models as _care  # noqa: F401
    from outreach.consent import models as _consent  # noqa: F401
    from outreach.escalations import models as _escalations  # noqa: F401
    from outreach.evaluation import models as _evaluation  # noqa: F401
    from outreach.jobs import runs as _job_runs  # noqa: F401
    from outreach.literacy import models as _literacy  # noqa: F401
    from outreach.messages import models as _messages  # noqa: F401
    from outreach.needs import models as _needs  # noqa: F401
    from outreach.organisations import models as _organisations  # noqa: F401
    from outreach.people import models as _people  # noqa: F401
    from outreach.programmes import models as _programmes  # noqa: F401
    from outreach.rounds import models as _rounds  # noqa: F401
    from outreach.selfreport import models as _selfreport  # noqa: F401
    from outreach.visits import models as _visits  # noqa: F401
