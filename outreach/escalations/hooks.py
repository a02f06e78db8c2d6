"""Wire escalations to the features they react to, which must not import them back: every new
need is routed, and a need met elsewhere (the client seen, a text answered) closes its
escalations. Imported once by the application factory."""

from outreach.escalations import notify as _notify  # noqa: F401 - texts about escalations
from outreach.escalations.services import need_closed_elsewhere, route_need
from outreach.needs import services as needs

for hooks, listener in ((needs.NEED_RAISED, route_need),
                        (needs.NEED_CLOSED, need_closed_elsewhere)):
    if listener not in hooks:
        hooks.append(listener)
