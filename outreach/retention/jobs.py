"""The periodic `retention` job: apply the retention policy, and say what it did."""

from __future__ import annotations

from datetime import datetime

from outreach.audit.services import record
from outreach.jobs.tick import periodic
from outreach.retention import policy
from outreach.retention.policy import Policy

# In the order they run: clients first, so their texts' words go with them.
RULES = ("clients", "message_bodies", "unknown_sender_texts", "audit_events")


def apply(now: datetime, rules: Policy | None = None, *, dry_run: bool = False) -> dict:
    """Apply (or, in a dry run, count) every rule of the policy as of `now`: rule -> rows."""
    rules = rules or Policy.from_config()
    counts = {}
    for rule in RULES:
        cutoff = rules.cutoff(rule, now)
        if cutoff is None:
            continue
        if rule == "clients":
            counts[rule] = policy.anonymise_clients(cutoff, now, dry_run)
        elif rule == "message_bodies":
            counts[rule] = policy.blank_message_bodies(cutoff, dry_run)
        elif rule == "unknown_sender_texts":
            counts[rule] = policy.delete_unknown_sender_texts(cutoff, dry_run)
        else:
            counts[rule] = policy.delete_audit_events(cutoff, dry_run)
    return counts


WORDS = {"clients": ("client(s) anonymised", "client(s) to anonymise"),
         "message_bodies": ("text bodies blanked", "text bodies to blank"),
         "unknown_sender_texts": ("texts from unknown senders deleted",
                                  "texts from unknown senders to delete"),
         "audit_events": ("audit events deleted", "audit events to delete")}


def describe(counts: dict, *, dry_run: bool = False) -> str:
    """One line for people: what was (or, in a dry run, would be) done."""
    if not counts:
        return "no retention periods set; nothing done"
    return ", ".join(f"{counts[rule]} {WORDS[rule][dry_run]}" for rule in RULES if rule in counts)


@periodic("retention")
def run_retention(now: datetime) -> str:
    """Apply the retention policy; one audit event holds the counts."""
    counts = apply(now)
    if counts:
        # Written after the audit rule ran, so a run never deletes its own record.
        record(None, "retention.run", detail={"counts": counts}, via="system")
    return describe(counts)
