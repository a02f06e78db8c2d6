"""Wire escalations to the features they react to, which must not import them back: every new
need is routed, a need met elsewhere (the client seen, a text answered) closes its escalations,
a withdrawn consent takes its live escalations back to the coordinator, and a withdrawn consent
or an erasure tells each recipient organisation its escalations were withdrawn. Imported once by
the application factory."""

from outreach.consent import services as consent
from outreach.escalations import notify as _notify  # noqa: F401 - texts about escalations
from outreach.escalations import withdrawal
from outreach.escalations.services import consent_withdrawn, need_closed_elsewhere, route_need
from outreach.needs import services as needs
from outreach.people import subject_access

# In this order: live escalations are passed back first, then every recipient is told.
for hooks, listener in ((needs.NEED_RAISED, route_need),
                        (needs.NEED_CLOSED, need_closed_elsewhere),
                        (consent.WITHDRAWN, consent_withdrawn),
                        (consent.WITHDRAWN, withdrawal.consent_withdrawn),
                        (subject_access.ERASING, withdrawal.client_erasing)):
    if listener not in hooks:
        hooks.append(listener)
