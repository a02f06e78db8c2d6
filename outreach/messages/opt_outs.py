"""Opting a number out of texts, and back in, by hand: the client asked by phone, in person or
by letter, and a coordinator (of a client the number belongs to) or an administrator does it.

Who did it and when are in the audit trail (`sms.opt_out` / `sms.opt_in` with the user as
actor), why as one of a few reasons (a code: the trail holds no free text), one event per client
the number belongs to so that each client's trail shows it. A number that opted out by replying
STOP (or through its phone company) is opted back in only by its owner replying START: the
carriers keep their own block until then, and texts would fail.
"""

from __future__ import annotations

from outreach.audit.services import record
from outreach.auth import access
from outreach.auth.models import User
from outreach.db import db, utcnow
from outreach.enums import Role
from outreach.errors import Conflict, Forbidden, ValidationFailed
from outreach.messages import numbers
from outreach.messages.services import ListedNumber, listed, owners_of
from outreach.people.models import Client

# Why a number is opted out or back in by hand: the codes the audit keeps, and their words.
OUT_REASONS = {
    "asked_by_phone": "asked by phone",
    "asked_in_person": "asked in person",
    "asked_in_writing": "asked in writing",
    "asked_by_family": "asked through their family or carer",
}
IN_REASONS = {
    "asked_by_phone": "asked by phone",
    "asked_in_person": "asked in person",
    "asked_in_writing": "asked in writing",
    "opted_out_by_mistake": "opted out by mistake",
}


def opt_out(user: User, phone: str, reason: str) -> ListedNumber:
    """Stop all texts to `phone` (already E.164), a number of a client the user manages or of
    one of their contacts (any number for an administrator)."""
    if not phone:
        raise ValidationFailed("Give the number to stop texting.",
                               fields={"phone": ["Give the number to stop texting."]})
    owners = owners_of(user, [phone])[phone]
    entry_owners = [o for o in owners if _manages(user, o.client_id)]
    if user.role != Role.ADMIN and not entry_owners:
        # The same answer for a number nobody has and one of another operator's clients.
        raise ValidationFailed("No client or contact of yours has this number.",
                               fields={"phone": ["No client or contact of yours has this "
                                                 "number."]})
    known = numbers.number_record(phone)
    if known is not None and known.opted_out:
        raise Conflict("This number already gets no texts.")
    who = user.full_name or user.email
    known = numbers.opt_out(phone, f"{numbers.BY_HAND} ({who}): {OUT_REASONS[reason]}",
                            utcnow(), audit=False)
    _audit(user, "sms.opt_out", known, owners, reason)
    return listed(user, [known])[0]


def opt_in(user: User, entry: ListedNumber, reason: str) -> ListedNumber:
    """Texts may go to a number a person opted out by hand again (`entry`: from get_number)."""
    if not entry.can_clear:
        raise Forbidden("You cannot change the clients this number belongs to.")
    known = entry.number
    if not known.opted_out:
        raise Conflict("This number is not opted out.")
    if not numbers.opted_out_by_hand(known):
        raise Conflict("They asked for no texts themselves (by replying STOP): only they can "
                       "start them again, by replying START.")
    numbers.opt_in(known.phone, utcnow(), audit=False)
    _audit(user, "sms.opt_in", known, entry.owners, reason)
    return entry


def _manages(user: User, client_id: int) -> bool:
    return user.role == Role.ADMIN or access.can_manage_client(
        user, db.session.get(Client, client_id))


def _audit(user: User, action: str, known, owners, reason: str) -> None:
    """One event per client the number belongs to (one without a client when it is nobody's)."""
    for client_id in sorted({o.client_id for o in owners}) or [None]:
        record(user, action, subject=known, client_id=client_id,
               detail={"source": "by_hand", "reason": reason})
