"""API: the audit trail, for administrators."""

from sqlalchemy import select

from outreach.api import Blueprint, paginate
from outreach.audit.models import AuditEvent
from outreach.audit.schemas import AuditEventOut, AuditQuery
from outreach.enums import Role

blp = Blueprint("audit_api", __name__)


@blp.operation("/audit-events", summary="The audit trail", tag="audit", query=AuditQuery,
               response=AuditEventOut, many=True, roles=[Role.ADMIN])
def list_audit_events(user, params):
    """Who did or saw what, oldest first; filter by client_id or action."""
    query = select(AuditEvent)
    if params["client_id"] is not None:
        query = query.where(AuditEvent.client_id == params["client_id"])
    if params["action"]:
        query = query.where(AuditEvent.action == params["action"])
    return paginate(query, AuditEvent.id)
