"""What every feature's pages share: layout filters, the form helper, role checks, redirects,
and one transaction per request (`pages`). The pages themselves live in their features."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from outreach.people import phones


def init_app(app: Flask) -> None:
    """The Jinja filters every feature's pages use (each feature registers its own pages)."""
    from outreach.web.forms import field_label

    app.jinja_env.filters["phone"] = phones.display
    app.jinja_env.filters["field_label"] = field_label
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.filters["zip"] = lambda left, right: list(zip(left, right, strict=True))


def local_time(moment: datetime, timezone: str) -> datetime:
    """An aware UTC time as it was on the programme's clocks (dates shown are local dates)."""
    return moment.astimezone(ZoneInfo(timezone))
