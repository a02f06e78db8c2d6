"""Imports every feature's API module so its routes register on the blueprint."""

from outreach.audit import api as _audit  # noqa: F401
from outreach.auth import api as _auth  # noqa: F401
from outreach.care import api as _care  # noqa: F401
from outreach.consent import api as _consent  # noqa: F401
from outreach.escalations import api as _escalations  # noqa: F401
from outreach.escalations import feed_api as _feed_tokens  # noqa: F401
from outreach.escalations import webhook_api as _webhooks  # noqa: F401
from outreach.evaluation import api as _evaluation  # noqa: F401
from outreach.literacy import api as _literacy  # noqa: F401
from outreach.literacy import report_api as _literacy_report  # noqa: F401
from outreach.messages import api as _messages  # noqa: F401
from outreach.needs import api as _needs  # noqa: F401
from outreach.organisations import api as _organisations  # noqa: F401
from outreach.people import api as _people  # noqa: F401
from outreach.programmes import api as _programmes  # noqa: F401
from outreach.reports import api as _reports  # noqa: F401
from outreach.rounds import api as _rounds  # noqa: F401
from outreach.visits import api as _visits  # noqa: F401
from outreach.visits import plan_api as _plan_api  # noqa: F401
