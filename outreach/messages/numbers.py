"""Phone numbers that must not be texted: opted out (STOP), or not a working mobile."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select

from outreach.audit.services import record
from outreach.db import db
from outreach.enums import NeedCategory, NeedSeverity, NeedSource, NeedStatus
from outreach.messages.models import SmsNumber
from outreach.needs.models import Need
from outreach.people.models import Client, Contact

# Twilio error codes meaning the number itself is wrong (not a passing network fault).
INVALID_NUMBER_CODES = frozenset({21211, 21217, 21614, 30005, 30006})
OPTED_OUT_CODES = frozenset({21610})


def number_record(phone: str, *, create: bool = False) -> SmsNumber | None:
    """What we know about `phone`, made on demand when `create`."""
    found = db.session.scalar(select(SmsNumber).where(SmsNumber.phone == phone))
    if found is None and create:
        found = SmsNumber(phone=phone)
        db.session.add(found)
        db.session.flush()
    return found


def why_not_text(phone: str | None) -> str | None:
    """Why `phone` must not be texted, in plain words; None when it may be."""
    if not phone:
        return "There is no mobile number."
    return refusals([phone]).get(phone)


def refusals(phones) -> dict[str, str]:
    """For each of `phones` that must not be texted, why; in one query, for a whole batch."""
    wanted = {p for p in phones if p}
    found = {}
    if wanted:
        with db.session.no_autoflush:
            found = {known.phone: known for known in db.session.scalars(
                select(SmsNumber).where(SmsNumber.phone.in_(wanted)))}
    reasons = {}
    for phone in set(phones):
        known = found.get(phone)
        if not phone:
            reasons[phone] = "There is no mobile number."
        elif known is not None and known.opted_out_at is not None:
            reasons[phone] = "The number has opted out of texts (replied STOP)."
        elif known is not None and known.invalid_at is not None:
            reasons[phone] = f"The number is not a working mobile number: {known.invalid_reason}"
    return reasons


# opt_out_source of a number a person opted out by hand (the rest says why, in words).
BY_HAND = "By hand"


def opt_out(phone: str, source: str, now: datetime, *, audit: bool = True) -> SmsNumber:
    """Stop all texts to `phone` (a STOP reply, or the provider saying the person did);
    `audit=False` when the caller records who did it (outreach.messages.services)."""
    known = number_record(phone, create=True)
    if known.opted_out_at is None:
        known.opted_out_at = now
        known.opt_out_source = source[:100]
        if audit:
            record(None, "sms.opt_out", subject=known, detail={"source": source[:60]},
                   via="sms")
    return known


def opt_in(phone: str, now: datetime, *, audit: bool = True) -> SmsNumber:
    """Texts to `phone` may start again (START, YES, UNSTOP, or a person by hand)."""
    known = number_record(phone, create=True)
    if known.opted_out_at is not None:
        known.opted_out_at = None
        known.opt_out_source = ""
        if audit:
            record(None, "sms.opt_in", subject=known, via="sms")
    known.opted_in_at = now
    return known


def opted_out_by_hand(known: SmsNumber) -> bool:
    """Whether a person (not the number's owner, by text or through the carrier) opted it out."""
    return known.opted_out_at is not None and known.opt_out_source.startswith(BY_HAND)


def mark_invalid(phone: str, code: int | None, reason: str, now: datetime) -> list[Need]:
    """Record that `phone` cannot take texts and ask the coordinator to fix it.

    One open `invalid_number` need per client whose own or contact's number it is.
    """
    from outreach.needs.services import create_need  # needs → messages hooks import us

    known = number_record(phone, create=True)
    if known.invalid_at is None:
        known.invalid_at, known.invalid_code, known.invalid_reason = now, code, reason[:300]
    owners = db.session.execute(
        select(Client, Contact.name)
        .outerjoin(Contact, (Contact.client_id == Client.id) & (Contact.phone == phone))
        .where(or_(Client.phone == phone, Contact.phone == phone))
        .order_by(Client.id)).all()
    already = set(db.session.scalars(select(Need.client_id).where(
        Need.category == NeedCategory.INVALID_NUMBER, Need.status == NeedStatus.OPEN,
        Need.client_id.in_({client.id for client, _ in owners}))))
    raised = []
    for client, contact_name in owners:
        if client.id in already:
            continue
        already.add(client.id)
        whose = f"{contact_name}'s number" if contact_name and client.phone != phone \
            else "The client's mobile number"
        raised.append(create_need(None, client, NeedCategory.INVALID_NUMBER, NeedSeverity.SOON,
                                  f"{whose} cannot take texts: {reason} Please check it.",
                                  NeedSource.SYSTEM))
    return raised


def learn_from_failure(phone: str, code: int | None, reason: str, now: datetime) -> None:
    """What a provider's error says about the number: opted out, or not a working mobile."""
    if code in OPTED_OUT_CODES:
        opt_out(phone, f"provider error {code}", now)
    elif code in INVALID_NUMBER_CODES:
        mark_invalid(phone, code, reason, now)


def clear_invalid(phone: str) -> None:
    """A person has checked the number: try texting it again."""
    known = number_record(phone)
    if known is not None:
        known.invalid_at, known.invalid_code, known.invalid_reason = None, None, ""
