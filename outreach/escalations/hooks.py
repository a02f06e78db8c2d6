"""Wire escalations to the features they react to, which must not import them back: every new
need is routed, a need met elsewhere (the client seen, a text answered) closes its escalations,
and a withdrawn consent takes its live escalations back to the coordinator. Imported once by
the application factory."""

from outreach.consent import services as consent
from outreach.escalations import notify as _notify  # noqa: F401 - texts about escalations
from outreach.escalations.services import consent_withdrawn, need_closed_elsewhere, route_need
from outreach.needs import services as needs

for hooks, listener in ((needs.NEED_RAISED, route_need),
                        (needs.NEED_CLOSED, need_closed_elsewhere),
                        (consent.WITHDRAWN, consent_withdrawn)):
    if listener not in hooks:
        hooks.append(listener)
